#include "harness/compare_outcome.hpp"

#include <fmt/format.h>

#include "harness/compare_caveats.hpp"

namespace copylab {

std::string CopyVerdicts::text() const {
  std::string body = preamble.empty() ? "" : preamble + "\n";
  body += table ? "Copy verdicts (" + phase + " runs):\n" + trace::format_verdicts(*table)
                : not_drawn;
  if (!caveat) return body;
  return fmt::format("⚠ The copy verdicts below come {} (see above): their per-packet counts may "
                     "not hold for a clean run.\n{}",
                     caveat->text, body);
}

nlohmann::json to_json(const ObserverStatus& s) {
  if (s.attached) return {{"attached", true}, {"backend", s.backend}};
  return {{"attached", false}, {"reason", s.reason}};
}

nlohmann::json to_json(const CopyVerdicts& c) {
  nlohmann::json out = c.table ? trace::to_json(*c.table)
                               : nlohmann::json{{"rows", nlohmann::json::array()}};
  if (c.table) out["phase"] = c.phase;
  out["text"] = c.text();
  if (c.caveat) {
    out["caveat"] = {{"lost", c.caveat->lost},
                     {"failed_checks", c.caveat->failed_checks},
                     {"text", c.caveat->text}};
    for (auto& row : out["rows"]) row["caveat"] = c.caveat->text;
  }
  if (c.dpdk_table) out["dpdk"] = trace::to_json(*c.dpdk_table);
  return out;
}

nlohmann::json to_json(const DpdkStatus& d) {
  nlohmann::json out{{"ran", d.ran}, {"pmd_copies", d.pmd_copies}};
  if (!d.ran) out["reason"] = d.reason;
  return out;
}

nlohmann::json to_json(const CompareOutcome& o) {
  const TopologyConfig& t = o.topology;
  nlohmann::json runs = nlohmann::json::array();
  for (const RunRecord& r : o.runs) runs.push_back(to_json(r));
  return {{"tool", "copylab compare"},
          {"topology",
           {{"ns_a", t.ns_a}, {"ns_b", t.ns_b}, {"dev_a", t.dev_a}, {"dev_b", t.dev_b},
            {"ip_a", t.ip_a.str()}, {"ip_b", t.ip_b.str()}, {"owned", o.topology_owned}}},
          {"payload_bytes", o.payload_bytes},
          {"cross_check", to_json(o.cross_check)},
          {"runs", std::move(runs)},
          {"copies", to_json(o.copies)},
          {"dpdk", to_json(o.dpdk)},
          {"notes", o.notes},
          {"checks_failed", failed_checks(o.runs)}};
}

}  // namespace copylab

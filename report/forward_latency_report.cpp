#include "report/forward_latency_report.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "latency/experiment.hpp"
#include "latency/summary.hpp"
#include "report/compare_json.hpp"
#include "report/forward_report.hpp"
#include "report/report_text.hpp"

namespace copylab {
namespace {

std::string us_cell(const RunsSummary& s, const SummaryField& f) {
  const Spread* sp = s.find(f.key);
  if (sp == nullptr) return "-";
  if (s.runs <= 1) return fmt::format("{:.1f}", sp->median / 1000.0);
  return fmt::format("{:.1f} [{:.1f}-{:.1f}]", sp->median / 1000.0, sp->min / 1000.0,
                     sp->max / 1000.0);
}

std::string render_ends(const ForwardLatencyOutcome& o, const std::string& ends) {
  TextTable t;
  std::vector<const ForwardLatencyRecord*> rs;
  for (const ForwardLatencyRecord& r : o.records) {
    if (r.ends != ends) continue;
    rs.push_back(&r);
    t.header.push_back(to_string(r.kind));
  }
  const auto row = [&](const std::string& label, auto cell) {
    TextTable::Row rw{label, {}};
    for (const ForwardLatencyRecord* r : rs) rw.cells.push_back(cell(*r));
    t.rows.push_back(std::move(rw));
  };
  row("pings (measured)", [](const ForwardLatencyRecord& r) { return std::to_string(r.result.packets.sent); });
  row("echoes / lost", [](const ForwardLatencyRecord& r) {
    return fmt::format("{} / {}", r.result.packets.replies, r.result.packets.lost);
  });
  row("forwarded by M", [](const ForwardLatencyRecord& r) { return std::to_string(r.forwarded); });
  for (const SummaryField& f : summary_fields()) {
    if (f.percentile < 0) continue;
    row(std::string("RTT ") + f.label + " us", [&](const ForwardLatencyRecord& r) { return us_cell(r.result.rtt, f); });
  }
  for (const char* key : {"p50", "p99"}) {
    const SummaryField* f = find_summary_field(key);
    row(std::string("one-way A->B ") + f->label + " us",
        [&](const ForwardLatencyRecord& r) { return us_cell(r.result.one_way, *f); });
  }
  row("RTT p50 / relay", [&](const ForwardLatencyRecord& r) {
    const auto v = rtt_p50_ratio_to_relay(o, r);
    return v ? fmt::format("{:.2f}", *v) : std::string("-");
  });
  const std::size_t reps = rs.empty() ? 0 : rs.front()->result.runs.size();
  return wrap_text(fmt::format("Ends {} ({} B, {} repetition{}; µs: median [min-max across "
                               "repetitions], \"-\": not resolvable from the samples):",
                               ends, o.payload_bytes, reps, reps == 1 ? "" : "s"),
                   kReportWidth, "", "  ") +
         render_table(t, kReportWidth);
}

std::string opt_count(const std::optional<long long>& v) {
  return v ? std::to_string(*v) : std::string("n/a");
}

}  // namespace

std::optional<double> rtt_p50_ratio_to_relay(const ForwardLatencyOutcome& o,
                                             const ForwardLatencyRecord& r) {
  for (const ForwardLatencyRecord& relay : o.records) {
    if (relay.kind != ForwarderKind::kRelay || relay.ends != r.ends) continue;
    const Spread* mine = r.result.rtt.find("p50");
    const Spread* theirs = relay.result.rtt.find("p50");
    if (mine == nullptr || theirs == nullptr || theirs->median <= 0) return std::nullopt;
    return mine->median / theirs->median;
  }
  return std::nullopt;
}

std::string render_forward_latency_report(const ForwardLatencyOutcome& o) {
  const TopologyConfig& t = o.topology;
  std::string out =
      wrap_text(fmt::format("copylab forward --latency: ping in A {} ({}) <-> M {} ({} <-> {}) "
                            "<-> pong in B {} ({})",
                            t.ns_a, t.dev_a, t.ns_m, t.dev_ma, t.dev_mb, t.ns_b, t.dev_b),
                kReportWidth, "", "  ") +
      "\n";
  std::vector<std::string> ends;
  for (const ForwardLatencyRecord& r : o.records) {
    if (std::find(ends.begin(), ends.end(), r.ends) == ends.end()) ends.push_back(r.ends);
  }
  for (const std::string& e : ends) out += render_ends(o, e) + "\n";
  out += "Checks:\n";
  for (const ForwardLatencyRecord& r : o.records) {
    for (const CheckRow& c : r.checks) {
      const auto ok = c.ok();
      out += wrap_text(fmt::format("[{}] {} (ends {}): {}: expected {}, observed {} [{}]",
                                   ok ? (*ok ? "ok" : "FAIL") : "n/a", to_string(r.kind), r.ends,
                                   c.name, opt_count(c.expected), opt_count(c.observed),
                                   c.source),
                       kReportWidth, "  ", "      ");
    }
  }
  out += "\nNotes:\n";
  for (const std::string& n : o.notes) out += wrap_text(n, kReportWidth, "  - ", "    ");
  return out;
}

nlohmann::json forward_latency_document(const ForwardLatencyOutcome& o) {
  nlohmann::json results = nlohmann::json::array();
  for (const ForwardLatencyRecord& r : o.records) {
    nlohmann::json j = to_json(r);
    const auto v = rtt_p50_ratio_to_relay(o, r);
    j["rtt_p50_x_relay"] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    results.push_back(std::move(j));
  }
  const LatencyOptions& lo = o.options;
  const TopologyConfig& t = o.topology;
  nlohmann::json method = method_json(lo);
  method["middle_box"] =
      "each repetition starts the forwarder in M two-way (pings A -> B on the destination port, "
      "echoes B -> A on the ping's port), pinned to CPU " + std::to_string(o.cpu_m) +
      ", waiting in poll(2); it is stopped after the ping side finished";
  nlohmann::json doc{
          {"tool", "copylab forward"},
          {"mode", "latency"},
          {"topology", {{"ns_a", t.ns_a}, {"ns_m", t.ns_m}, {"ns_b", t.ns_b}, {"dev_a", t.dev_a},
                        {"dev_ma", t.dev_ma}, {"dev_mb", t.dev_mb}, {"dev_b", t.dev_b}}},
          {"payload_bytes", o.payload_bytes},
          {"latency", {{"count", lo.count},
                       {"warmup", lo.warmup},
                       {"reps", lo.reps},
                       {"cpu_ping", lo.cpu_ping},
                       {"cpu_pong", lo.cpu_pong},
                       {"cpu_m", o.cpu_m},
                       {"method", method},
                       {"results", results}}},
          {"runs", nlohmann::json::array()},
          {"checks_failed", failed_latency_checks(o.records)},
          {"notes", o.notes}};
  doc = compare_document(std::move(doc));  // compare's key renames in the tools' documents
  doc["schema"] = kForwardSchema;
  return doc;
}

}  // namespace copylab

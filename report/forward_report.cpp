#include "report/forward_report.hpp"

#include <fmt/format.h>

#include "harness/compare_caveats.hpp"
#include "report/compare_json.hpp"
#include "report/report_text.hpp"

namespace copylab {
namespace {

std::string opt_count(const std::optional<std::uint64_t>& v) {
  return v ? std::to_string(*v) : std::string("n/a");
}
std::string opt_count(const std::optional<long long>& v) {
  return v ? std::to_string(*v) : std::string("n/a");
}
std::string opt_num(const std::optional<double>& v, const char* spec) {
  return v ? fmt::format(fmt::runtime(spec), *v) : std::string("n/a");
}

// "SCHED_FIFO 10", "SCHED_OTHER", as the forwarder read its policy back; "n/a" without it.
std::string sched_text(const nlohmann::json& sched) {
  if (!sched.is_object() || !sched.contains("policy")) return "n/a";
  const std::string policy = sched.value("policy", "");
  const int prio = sched.value("priority", 0);
  return prio != 0 ? fmt::format("{} {}", policy, prio) : policy;
}

std::vector<std::string> phases_of(const ForwardOutcome& o) {
  std::vector<std::string> out;
  for (const ForwardRecord& r : o.runs) {
    if (std::find(out.begin(), out.end(), r.run.phase.name) == out.end())
      out.push_back(r.run.phase.name);
  }
  return out;
}

std::string render_phase(const ForwardOutcome& o, const std::string& phase) {
  TextTable t;
  std::string title;
  for (const ForwardRecord& r : o.runs) {
    if (r.run.phase.name != phase) continue;
    t.header.push_back(to_string(r.kind));
    if (title.empty()) {
      title = fmt::format("{}: {} frames of {} B{}", phase, r.run.phase.count, o.payload_bytes,
                          r.run.phase.rate_pps > 0
                              ? fmt::format(" at {:.0f} frames/s", r.run.phase.rate_pps)
                              : std::string(", as fast as A sends"));
    }
  }
  const auto row = [&](const std::string& label, auto cell) {
    TextTable::Row rw{label, {}};
    for (const ForwardRecord& r : o.runs) {
      if (r.run.phase.name == phase) rw.cells.push_back(cell(r));
    }
    t.rows.push_back(std::move(rw));
  };
  row("sent by A", [](const ForwardRecord& r) { return opt_count(r.run.counts.sender.sent); });
  row("forwarded by M", [](const ForwardRecord& r) { return std::to_string(r.forwarded); });
  row("received in B", [](const ForwardRecord& r) { return opt_count(r.run.counts.receiver.received); });
  row("forwarded frames/s", [](const ForwardRecord& r) { return fmt::format("{:.0f}", r.forwarded_pps); });
  row("M's policy (kernel)", [](const ForwardRecord& r) { return sched_text(r.sched); });
  row("B's policy (kernel)", [](const ForwardRecord& r) { return sched_text(r.sched_b); });
  row("CPU in M ns/packet", [](const ForwardRecord& r) { return opt_num(r.cpu_ns_per_packet, "{:.0f}"); });
  row("one-way p50 A->B us", [](const ForwardRecord& r) { return opt_num(r.run.counts.receiver.one_way_p50_us, "{:.1f}"); });
  row("one-way p99 A->B us", [](const ForwardRecord& r) { return opt_num(r.run.counts.receiver.one_way_p99_us, "{:.1f}"); });
  row("COPY #4 in M /packet", [](const ForwardRecord& r) {
    return r.copy4 && r.forwarded ? fmt::format("{:.2f}", static_cast<double>(*r.copy4) / static_cast<double>(r.forwarded)) : opt_count(r.copy4);
  });
  row("COPY #1 in M /packet", [](const ForwardRecord& r) {
    return r.copy1 && r.forwarded ? fmt::format("{:.2f}", static_cast<double>(*r.copy1) / static_cast<double>(r.forwarded)) : opt_count(r.copy1);
  });
  row("COPY #4 / #1 in M", [](const ForwardRecord& r) { return opt_count(r.copy4) + " / " + opt_count(r.copy1); });
  row("M UDP In/OutDatagrams", [](const ForwardRecord& r) {
    return opt_count(r.m_in.udp.in_datagrams) + " / " + opt_count(r.m_in.udp.out_datagrams);
  });
  row("syscalls in M /packet", [](const ForwardRecord& r) {
    const auto& s = r.forwarder_syscalls;
    return s.total && r.forwarded ? fmt::format("{:.3f}", static_cast<double>(*s.total) / static_cast<double>(r.forwarded)) : std::string("n/a");
  });
  std::string out = title + "\n" + render_table(t, kReportWidth);
  for (const ForwardRecord& r : o.runs) {
    if (r.run.phase.name != phase) continue;
    for (const MovedCopy& m : r.moved) {
      out += wrap_text(fmt::format("{}: moved, not gone: {} x {} [{}]", to_string(r.kind),
                                   m.count, m.what, m.source),
                       kReportWidth, "  ", "    ");
    }
  }
  return out;
}

std::string render_checks(const ForwardOutcome& o) {
  std::string out = "Checks in M (the cross-check's ledger against M's own counters):\n";
  for (const ForwardRecord& r : o.runs) {
    for (const CheckRow& c : r.m_checks) {
      const auto ok = c.ok();
      out += wrap_text(fmt::format("[{}] {} {}: {}: expected {}, observed {} [{}]",
                                   ok ? (*ok ? "ok" : "FAIL") : "n/a", to_string(r.kind),
                                   r.run.phase.name, c.name, opt_count(c.expected),
                                   opt_count(c.observed), c.source),
                       kReportWidth, "  ", "      ");
    }
    for (const CheckRow& c : r.run.checks) {
      if (c.ok() && !*c.ok()) {
        out += wrap_text(fmt::format("[FAIL] {} {} (A -> B): {}: expected {}, observed {} [{}]",
                                     to_string(r.kind), r.run.phase.name, c.name,
                                     opt_count(c.expected), opt_count(c.observed), c.source),
                         kReportWidth, "  ", "      ");
      }
    }
  }
  return out;
}

}  // namespace

int failed_forward_checks(const ForwardOutcome& o) {
  int n = 0;
  for (const ForwardRecord& r : o.runs) {
    for (const CheckRow& c : r.m_checks) n += c.ok() && !*c.ok() ? 1 : 0;
    n += failed_checks(r.run);
  }
  return n;
}

std::optional<double> pps_ratio_to_relay(const ForwardOutcome& o, ForwarderKind kind,
                                         const std::string& phase) {
  const ForwardRecord* relay = nullptr;
  const ForwardRecord* other = nullptr;
  for (const ForwardRecord& r : o.runs) {
    if (r.run.phase.name != phase) continue;
    if (r.kind == ForwarderKind::kRelay) relay = &r;
    if (r.kind == kind) other = &r;
  }
  if (relay == nullptr || other == nullptr || relay->forwarded_pps <= 0) return std::nullopt;
  return other->forwarded_pps / relay->forwarded_pps;
}

std::string render_forward_report(const ForwardOutcome& o) {
  const TopologyConfig& t = o.topology;
  std::string out = fmt::format("copylab forward: A {} ({}) -> M {} ({} -> {}) -> B {} ({})\n\n",
                                t.ns_a, t.dev_a, t.ns_m, t.dev_ma, t.dev_mb, t.ns_b, t.dev_b);
  for (const std::string& phase : phases_of(o)) {
    out += render_phase(o, phase);
    for (const ForwarderKind k : {ForwarderKind::kXskNative, ForwarderKind::kXskGeneric}) {
      if (const auto ratio = pps_ratio_to_relay(o, k, phase)) {
        out += fmt::format("  {} / relay forwarded frames/s: {:.2f}\n", to_string(k), *ratio);
      }
    }
    out += "\n";
  }
  out += render_checks(o) + "\n";
  out += "Notes:\n";
  for (const std::string& n : o.notes) out += wrap_text(n, kReportWidth, "  - ", "    ");
  return out;
}

nlohmann::json forward_document(const ForwardOutcome& o) {
  nlohmann::json runs = nlohmann::json::array();
  for (const ForwardRecord& r : o.runs) runs.push_back(to_json(r));
  nlohmann::json ratios = nlohmann::json::object();
  for (const std::string& phase : phases_of(o)) {
    for (const ForwarderKind k : {ForwarderKind::kXskNative, ForwarderKind::kXskGeneric}) {
      if (const auto ratio = pps_ratio_to_relay(o, k, phase))
        ratios[phase][std::string(to_string(k)) + "_to_relay"] = *ratio;
    }
  }
  const TopologyConfig& t = o.topology;
  nlohmann::json doc{
      {"tool", "copylab forward"},
      {"mode", "throughput"},
      {"topology", {{"ns_a", t.ns_a}, {"ns_m", t.ns_m}, {"ns_b", t.ns_b}, {"dev_a", t.dev_a},
                    {"dev_ma", t.dev_ma}, {"dev_mb", t.dev_mb}, {"dev_b", t.dev_b}}},
      {"payload_bytes", o.payload_bytes},
      {"cross_check", to_json(o.cross_check)},
      {"runs", runs},
      {"forwarded_pps_ratios", ratios},
      {"checks_failed", failed_forward_checks(o)},
      {"notes", o.notes}};
  doc = compare_document(std::move(doc));  // compare's key renames
  doc["schema"] = kForwardSchema;
  return doc;
}

}  // namespace copylab

#include "report/compare_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "evidence/compare_checks.hpp"
#include "evidence/loss_accounting.hpp"
#include "harness/compare_caveats.hpp"
#include "harness/run_evidence.hpp"
#include "report/report_text.hpp"

namespace copylab {
namespace {

std::string or_na(std::optional<double> v, const char* fmt_spec) {
  return v ? fmt::format(fmt::runtime(fmt_spec), *v) : "n/a";
}
std::string or_na(std::optional<long long> v) {
  return v ? fmt::format("{}", *v) : "n/a";
}

// Microseconds of `cpu_s` per packet of `n`.
std::string per_packet_us(std::optional<double> cpu_s, std::optional<long long> n) {
  if (!cpu_s || !n || *n <= 0) return "n/a";
  return fmt::format("{:.2f}", *cpu_s / static_cast<double>(*n) * 1e6);
}

// The side's mode without its datapath (the path row names it): XDP attach, bind, wait policy.
std::string mode_of(const ToolMode& m) {
  std::string s;
  for (const auto& v : {m.xdp_attach, m.bind, m.wait}) {
    if (!v || *v == "none") continue;
    s += (s.empty() ? "" : "/") + *v;
  }
  return s.empty() ? "?" : s;
}

std::string syscalls_per_packet(const RunRecord& run, bool sender) {
  const SyscallTally* t = syscalls_of(run.evidence, sender);
  const auto& n = sender ? run.counts.sender.sent : run.counts.receiver.received;
  if (t == nullptr || !t->total || !n || *n <= 0) return "n/a";
  return fmt::format("{:.3f}", static_cast<double>(*t->total) / static_cast<double>(*n));
}

std::string run_name(const RunRecord& run) { return run.pair.label() + " " + run.phase.name; }

// One item of a list wrapped to the report width: `first` before its first line, `indent` spaces
// before the others.
std::string item(std::string_view text, std::string_view first, std::size_t indent) {
  return wrap_text(text, kReportWidth, first, std::string(indent, ' '));
}

std::string opt_text(const std::optional<long long>& v) {
  return v ? std::to_string(*v) : std::string("null");
}

std::string check_text(const CheckRow& c) {
  return fmt::format("{}: expected {}, observed {} [{}]", c.name, opt_text(c.expected),
                     opt_text(c.observed), c.source);
}

std::string per_packet_cell(const trace::VerdictCell& cell) {
  return cell.per_packet ? fmt::format("{:.2f}", *cell.per_packet) : std::string("n/a");
}

// A verdict table's rows: what (wrapped), per packet on each path (`names`: the two columns'
// headers and evidence labels), the verdict; each row's evidence wrapped under it.
std::string render_verdict_rows(const trace::VerdictTable& table,
                                const std::array<std::string, 2>& names) {
  std::string out;
  // Columns: what (wrapped), socket, af_xdp[, af_xdp zero-copy], verdict (wrapped to what is
  // left of the width; with the zero-copy column, the copy-mode verdict then the zero-copy one).
  const bool zc = table.has_zero_copy_column();
  const std::size_t kWhat = zc ? 38 : 44;
  constexpr std::size_t kNum = 6;
  const std::size_t columns = zc ? 3 : 2;
  const std::size_t verdict_w = kReportWidth - kWhat - columns * (kNum + 2) - 2;
  // A cell's lines; a wrapped copy name continues indented, so a new row stands out.
  const auto lines_of = [](const std::string& text, std::size_t w, std::string_view indent) {
    std::vector<std::string> lines;
    const std::string wrapped = wrap_text(text, w, "", indent);
    std::size_t start = 0;
    for (std::size_t nl; (nl = wrapped.find('\n', start)) != std::string::npos; start = nl + 1) {
      lines.push_back(wrapped.substr(start, nl - start));
    }
    return lines;
  };
  const auto row_line = [&](const std::string& what, const std::vector<std::string>& nums,
                            const std::string& verdict) {
    std::string l = what + std::string(kWhat - std::min(kWhat, display_width(what)), ' ');
    for (const std::string& n : nums) l += fmt::format("  {:>{}}", n, kNum);
    l += "  " + verdict;
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  const std::vector<std::string> blank(columns, "");
  out += row_line("copy", zc ? std::vector<std::string>{names[0], "copy", "zc"}
                             : std::vector<std::string>{names[0], names[1]},
                  "verdict");
  for (const trace::VerdictRow& r : table.rows) {
    const auto what = lines_of(r.what, kWhat, "  ");
    auto verdict = lines_of(zc ? "copy mode: " + r.verdict : r.verdict, verdict_w, "");
    if (zc) {
      for (const auto& l : lines_of("zero-copy: " + r.verdict_zc, verdict_w, "")) verdict.push_back(l);
    }
    std::vector<std::string> nums{per_packet_cell(r.socket), per_packet_cell(r.af_xdp)};
    if (zc) nums.push_back(per_packet_cell(*r.af_xdp_zc));
    for (std::size_t i = 0; i < std::max(what.size(), verdict.size()); ++i) {
      out += row_line(i < what.size() ? what[i] : "", i == 0 ? nums : blank,
                      i < verdict.size() ? verdict[i] : "");
    }
    std::vector<std::pair<std::string, const trace::VerdictCell*>> cells{{names[0], &r.socket},
                                                                         {names[1], &r.af_xdp}};
    if (zc) cells.emplace_back("af_xdp zero-copy", &*r.af_xdp_zc);
    for (const auto& [side, cell] : cells) {
      out += item(cell->evidence, fmt::format("    {}{}: ", side,
                                              cell->measured.empty() ? "" : " [" + cell->measured + "]"),
                  6);
    }
  }
  return out;
}

// The copy verdicts: one row per copy (what, per packet on each path, verdict), its evidence
// wrapped under it, then the summary; with the kprobe module, each run's exact counts first.
std::string render_copies(const CopyVerdicts& copies, const std::vector<RunRecord>& runs) {
  std::string out;
  std::string module_lines;
  for (const RunRecord& r : runs) {
    const auto* ev = std::get_if<ModuleRunEvidence>(&r.evidence);
    if (ev == nullptr || ev->lines.empty()) continue;
    module_lines += "  " + run_name(r) + ":\n";
    for (const std::string& l : ev->lines) module_lines += item(l, "    ", 6);
  }
  if (!module_lines.empty()) {
    out += "Copy evidence per run (kprobe module copyprobe, exact per-call counts):\n" +
           module_lines + "\n";
  }
  if (!copies.table || copies.table->rows.empty()) {
    // No verdicts drawn: the observer's sentence says why.
    return out + item(copies.not_drawn, "", 2);
  }
  const trace::VerdictTable& table = *copies.table;
  if (copies.caveat) {
    out += item("⚠ The copy verdicts below come " + copies.caveat->text +
                    " (see above): their per-packet counts may not hold for a clean run.",
                "", 2);
  }
  out += "Copy verdicts (" + copies.phase + " runs), copies per packet:\n";
  out += render_verdict_rows(table, {"socket", "af_xdp"});
  if (!table.summary.empty()) out += "\n" + item(table.summary, "", 2);
  if (!table.summary_zc.empty()) out += item(table.summary_zc, "", 2);
  if (!table.zero_copy_note.empty()) out += item("Zero-copy: " + table.zero_copy_note, "", 2);
  return out;
}

// The DPDK pair's block: the kernel's copies for the PMD's XSK (socket vs dpdk->dpdk, same
// phase as the verdicts), then what was measured of the PMD's own mbuf<->UMEM copies.
std::string render_dpdk(const CompareOutcome& o) {
  if (!o.dpdk.ran) return item("DPDK (net_af_xdp PMD): not run: " + o.dpdk.reason, "", 2);
  std::string out;
  if (o.copies.dpdk_table) {
    out += "Copy verdicts, DPDK net_af_xdp PMD vs socket (" + o.copies.phase +
           " runs; the kernel's side of the PMD's XSK):\n";
    out += render_verdict_rows(*o.copies.dpdk_table, {"socket", "dpdk"});
  } else {
    out += item("DPDK (net_af_xdp PMD): no kernel copy verdicts (they need a socket->socket and a "
                "dpdk->dpdk run with evidence of the same phase).",
                "", 2);
  }
  out += "DPDK PMD copies between mbufs and UMEM frames (counted per mbuf by the DPDK tools):\n";
  if (o.dpdk.pmd_copies.empty()) {
    out += item("not measured in this compare", "  – ", 4);
  }
  for (const std::string& l : o.dpdk.pmd_copies) out += item(l, "  - ", 4);
  return out;
}

// What the cross-check cost this run, from the same run without it just before: the received
// rate unpaced (x0.95 = 5% fewer frames/s), the one-way p50 paced (x1.04 = 4% later).
std::string overhead_cell(const RunRecord& run) {
  if (!run.overhead) return "-";
  const bool paced = run.phase.rate_pps > 0;
  const auto v = paced ? run.overhead->p50_ratio() : run.overhead->pps_ratio();
  if (!v) return "n/a";
  return fmt::format("{} x{:.2f}", paced ? "p50" : "pps", *v);
}

}  // namespace

std::string render_run_problems(const std::vector<RunRecord>& runs) {
  std::string out;
  for (const RunRecord& run : runs) {
    const auto p = pacing_of(run.phase.rate_pps, run.counts.sender.pps);
    if (!p || !p->missed) continue;
    out += item(fmt::format("{}: the sender reached {} frames/s, {:.0f}% short of the {} asked: "
                            "this machine could not carry the paced rate, so this run is not the "
                            "one asked for",
                            run_name(run), with_commas(std::llround(p->achieved_pps)),
                            p->short_by_pct, with_commas(std::llround(p->target_pps))),
                "⚠ ", 2);
  }
  const int failed = failed_checks(runs);
  if (failed != 0) {
    out += fmt::format("✗ {} check{} failed (copylab compare exits {}):\n", failed,
                       failed == 1 ? "" : "s", kExitChecksFailed);
    for (const RunRecord& run : runs) {
      for (const CheckRow& c : run.checks) {
        if (c.ok() != false) continue;
        out += item(run_name(run) + ": " + check_text(c), "    ", 6);
      }
    }
  }
  std::string where;
  for (const RunRecord& run : runs) {
    if (!run.loss || run.loss->lost <= 0) continue;
    where += item(run_name(run) + ": " + run.loss->text, "    ", 6);
    for (const std::string& a : run.loss->also) where += item("(" + a + ")", "      ", 7);
  }
  if (!where.empty()) out += "Where the lost frames went (kernel counters):\n" + where;
  return out;
}

std::string render_compare_report(const CompareOutcome& outcome) {
  const std::vector<RunRecord>& runs = outcome.runs;
  TextTable table;
  auto row = [&](std::string label, auto cell_fn) {
    TextTable::Row r{std::move(label), {}};
    for (const RunRecord& run : runs) r.cells.push_back(cell_fn(run));
    table.rows.push_back(std::move(r));
  };
  row("path (tx->rx)", [](const RunRecord& r) { return r.pair.label(); });
  row("traffic", [](const RunRecord& r) {
    const double rate = r.phase.rate_pps;
    return r.phase.name + (rate > 0 ? fmt::format(" @{:.0f}k/s", rate / 1000) : std::string());
  });
  row("sender mode", [](const RunRecord& r) { return mode_of(r.counts.sender.mode); });
  row("receiver mode", [](const RunRecord& r) { return mode_of(r.counts.receiver.mode); });
  row("frames sent", [](const RunRecord& r) { return or_na(r.counts.sender.sent); });
  row("frames received", [](const RunRecord& r) { return or_na(r.counts.receiver.received); });
  row("frames lost", [](const RunRecord& r) { return or_na(r.counts.receiver.lost); });
  row("sender rate (pps)", [](const RunRecord& r) { return or_na(r.counts.sender.pps, "{:.0f}"); });
  row("receiver rate (pps)", [](const RunRecord& r) {
    return or_na(r.counts.receiver.pps, "{:.0f}");
  });
  row("receiver Mbit/s (frames)", [](const RunRecord& r) {
    return or_na(r.counts.receiver.frame_mbit_s, "{:.1f}");
  });
  row("sender CPU user µs/pkt", [](const RunRecord& r) {
    return per_packet_us(r.counts.sender.cpu_user_s, r.counts.sender.sent);
  });
  row("sender CPU sys µs/pkt", [](const RunRecord& r) {
    return per_packet_us(r.counts.sender.cpu_system_s, r.counts.sender.sent);
  });
  row("receiver CPU user µs/pkt", [](const RunRecord& r) {
    return per_packet_us(r.counts.receiver.cpu_user_s, r.counts.receiver.received);
  });
  row("receiver CPU sys µs/pkt", [](const RunRecord& r) {
    return per_packet_us(r.counts.receiver.cpu_system_s, r.counts.receiver.received);
  });
  row("sender syscalls/pkt", [](const RunRecord& r) { return syscalls_per_packet(r, true); });
  row("receiver syscalls/pkt", [](const RunRecord& r) { return syscalls_per_packet(r, false); });
  row("one-way p50 µs", [](const RunRecord& r) {
    return or_na(r.counts.receiver.one_way_p50_us, "{:.1f}");
  });
  row("one-way p99 µs", [](const RunRecord& r) {
    return or_na(r.counts.receiver.one_way_p99_us, "{:.1f}");
  });
  row("cross-check cost", [](const RunRecord& r) { return overhead_cell(r); });
  row("checks passed", [](const RunRecord& r) {
    int ok = 0, total = 0;
    for (const CheckRow& c : r.checks) {
      if (!c.ok()) continue;
      ++total;
      ok += *c.ok() ? 1 : 0;
    }
    return fmt::format("{}/{}", ok, total);
  });

  // Wider than the terminal (--all-pairs): blocks of columns, one under the other.
  std::string out = render_table(table, kReportWidth);

  if (const std::string problems = render_run_problems(runs); !problems.empty()) {
    out += "\n" + problems;
  }

  out += "\nChecks against independent counters (✓ agree, ✗ differ, – not available):\n";
  for (const RunRecord& run : runs) {
    out += "  " + run_name(run) + ":\n";
    for (const CheckRow& c : run.checks) {
      if (!c.ok()) {
        out += item(fmt::format("{} (not available from {})", c.name, c.source), "    – ", 6);
      } else {
        out += item(check_text(c), *c.ok() ? "    ✓ " : "    ✗ ", 6);
      }
    }
  }
  out += "\n" + render_copies(outcome.copies, runs);
  out += "\n" + render_dpdk(outcome);
  out += "\nNotes:\n";
  for (const std::string& n : outcome.notes) out += item(n, "  - ", 4);
  return out;
}

}  // namespace copylab

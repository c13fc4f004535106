#include "report/compare_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "harness/compare_caveats.hpp"
#include "evidence/loss_accounting.hpp"
#include "report/report_text.hpp"

namespace copylab {
namespace {

std::optional<double> num(const nlohmann::json& doc, const std::string& pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!doc.contains(p) || !doc.at(p).is_number()) return std::nullopt;
  return doc.at(p).get<double>();
}

std::string or_na(std::optional<double> v, const char* fmt_spec) {
  return v ? fmt::format(fmt::runtime(fmt_spec), *v) : "n/a";
}

std::string per_packet_us(const nlohmann::json& run, const char* side, const char* field,
                          const char* count_ptr) {
  const auto cpu = num(run, std::string("/") + side + "/result/cpu/" + field);
  const auto n = num(run, count_ptr);
  if (!cpu || !n || *n <= 0) return "n/a";
  return fmt::format("{:.2f}", *cpu / *n * 1e6);
}

// The side's mode without its datapath (the path row names it): XDP attach, bind, wait policy.
std::string mode_of(const nlohmann::json& run, const char* side) {
  const nlohmann::json::json_pointer p(std::string("/") + side + "/mode");
  if (!run.contains(p)) return "?";
  const auto& m = run.at(p);
  std::string s;
  for (const char* key : {"xdp_attach", "bind", "wait"}) {
    if (!m.contains(key) || !m[key].is_string() || m[key] == "none") continue;
    s += (s.empty() ? "" : "/") + m[key].get<std::string>();
  }
  return s.empty() ? "?" : s;
}

std::string syscalls_per_packet(const nlohmann::json& run, const char* side, const char* count_ptr) {
  const auto calls = num(run, std::string("/copy_evidence/syscalls/") + side + "/total");
  const auto n = num(run, count_ptr);
  if (!calls || !n || *n <= 0) return "n/a";
  return fmt::format("{:.3f}", *calls / *n);
}

std::string run_name(const nlohmann::json& run) {
  return run.at("pair").get<std::string>() + " " + run.at("phase").get<std::string>();
}

// One item of a list wrapped to the report width: `first` before its first line, `indent` spaces
// before the others.
std::string item(std::string_view text, std::string_view first, std::size_t indent) {
  return wrap_text(text, kReportWidth, first, std::string(indent, ' '));
}

std::string check_text(const nlohmann::json& c) {
  return fmt::format("{}: expected {}, observed {} [{}]", c.at("name").get<std::string>(),
                     c.at("expected").dump(), c.at("observed").dump(),
                     c.at("source").get<std::string>());
}

std::string per_packet_cell(const nlohmann::json& cell) {
  const auto& v = cell.value("per_packet", nlohmann::json());
  return v.is_number() ? fmt::format("{:.2f}", v.get<double>()) : std::string("n/a");
}

// The copy verdicts: one row per copy (what, per packet on each path, verdict), its evidence
// wrapped under it, then the summary; with the kprobe module, each run's exact counts first.
std::string render_copies(const nlohmann::json& copies, const nlohmann::json& runs) {
  std::string out;
  const auto& rows = copies.value("rows", nlohmann::json::array());
  std::string module_lines;
  for (const auto& r : runs) {
    const auto p = "/copy_evidence/lines"_json_pointer;
    if (!r.contains(p) || !r.at(p).is_array()) continue;
    module_lines += "  " + run_name(r) + ":\n";
    for (const auto& l : r.at(p)) module_lines += item(l.get<std::string>(), "    ", 6);
  }
  if (!module_lines.empty()) {
    out += "Copy evidence per run (kprobe module copyprobe, exact per-call counts):\n" +
           module_lines + "\n";
  }
  if (rows.empty()) {
    // No verdicts drawn: the observer's sentence says why.
    std::string text = copies.value("text", std::string());
    if (const auto at = text.rfind("Copy verdicts:"); at != std::string::npos) text.erase(0, at);
    return out + item(text, "", 2);
  }
  if (copies.contains("caveat")) {
    out += item("⚠ The copy verdicts below come " +
                    copies.at("caveat").at("text").get<std::string>() +
                    " (see above): their per-packet counts may not hold for a clean run.",
                "", 2);
  }
  out += "Copy verdicts (" + copies.value("phase", std::string("?")) +
         " runs), copies per packet:\n";
  // Columns: what (wrapped), socket, af_xdp, verdict (wrapped to what is left of the width).
  constexpr std::size_t kWhat = 44, kNum = 6;
  const std::size_t verdict_w = kReportWidth - kWhat - 2 * (kNum + 2) - 2;
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
  const auto row_line = [&](const std::string& what, const std::string& sock,
                            const std::string& xsk, const std::string& verdict) {
    std::string l = what + std::string(kWhat - std::min(kWhat, display_width(what)), ' ');
    l += fmt::format("  {:>{}}  {:>{}}  ", sock, kNum, xsk, kNum) + verdict;
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  out += row_line("copy", "socket", "af_xdp", "verdict");
  for (const auto& r : rows) {
    const auto what = lines_of(r.at("what").get<std::string>(), kWhat, "  ");
    const auto verdict = lines_of(r.at("verdict").get<std::string>(), verdict_w, "");
    for (std::size_t i = 0; i < std::max(what.size(), verdict.size()); ++i) {
      out += row_line(i < what.size() ? what[i] : "",
                      i == 0 ? per_packet_cell(r.at("socket")) : "",
                      i == 0 ? per_packet_cell(r.at("af_xdp")) : "",
                      i < verdict.size() ? verdict[i] : "");
    }
    for (const char* side : {"socket", "af_xdp"}) {
      const auto& cell = r.at(side);
      const std::string measured = cell.value("measured", std::string());
      out += item(cell.value("evidence", std::string()),
                  fmt::format("    {}{}: ", side, measured.empty() ? "" : " [" + measured + "]"), 6);
    }
  }
  if (const std::string summary = copies.value("summary", std::string()); !summary.empty()) {
    out += "\n" + item(summary, "", 2);
  }
  if (const std::string zc = copies.value("zero_copy", std::string()); !zc.empty()) {
    out += item("Zero-copy: " + zc, "", 2);
  }
  return out;
}

// What the cross-check cost this run, from the same run without it just before: the received
// rate unpaced (x0.95 = 5% fewer frames/s), the one-way p50 paced (x1.04 = 4% later).
std::string overhead_cell(const nlohmann::json& run) {
  const auto& o = run.value("cross_check_overhead", nlohmann::json());
  if (!o.is_object()) return "-";
  const bool paced = run.value("rate_pps", 0.0) > 0;
  const auto v = num(run, paced ? "/cross_check_overhead/one_way_p50_ratio"
                                : "/cross_check_overhead/pps_ratio");
  if (!v) return "n/a";
  return fmt::format("{} x{:.2f}", paced ? "p50" : "pps", *v);
}

}  // namespace

std::string render_run_problems(const nlohmann::json& runs) {
  std::string out;
  for (const auto& run : runs) {
    const auto& p = run.value("pacing", nlohmann::json());
    if (!p.is_object() || !p.value("missed", false)) continue;
    out += item(fmt::format("{}: the sender reached {} frames/s, {:.0f}% short of the {} asked: "
                            "this machine could not carry the paced rate, so this run is not the "
                            "one asked for",
                            run_name(run),
                            with_commas(std::llround(p.at("achieved_pps").get<double>())),
                            p.at("short_by_pct").get<double>(),
                            with_commas(std::llround(p.at("target_pps").get<double>()))),
                "⚠ ", 2);
  }
  const int failed = failed_checks_all(runs);
  if (failed != 0) {
    out += fmt::format("✗ {} check{} failed (copylab compare exits {}):\n", failed,
                       failed == 1 ? "" : "s", kExitChecksFailed);
    for (const auto& run : runs) {
      for (const auto& c : run.at("checks")) {
        if (c.value("ok", nlohmann::json()) != false) continue;
        out += item(run_name(run) + ": " + check_text(c), "    ", 6);
      }
    }
  }
  std::string where;
  for (const auto& run : runs) {
    const auto& acc = run.value("loss_accounting", nlohmann::json());
    if (!acc.is_object() || acc.at("lost").get<long long>() <= 0) continue;
    where += item(run_name(run) + ": " + acc.at("text").get<std::string>(), "    ", 6);
    for (const auto& a : acc.at("also")) where += item("(" + a.get<std::string>() + ")", "      ", 7);
  }
  if (!where.empty()) out += "Where the lost frames went (kernel counters):\n" + where;
  return out;
}

std::string render_compare_report(const nlohmann::json& doc) {
  const auto& runs = doc.at("runs");
  TextTable table;
  auto row = [&](std::string label, auto cell_fn) {
    TextTable::Row r{std::move(label), {}};
    for (const auto& run : runs) r.cells.push_back(cell_fn(run));
    table.rows.push_back(std::move(r));
  };
  row("path (tx->rx)", [](const auto& r) { return r.at("pair").template get<std::string>(); });
  row("traffic", [](const auto& r) {
    const double rate = r.at("rate_pps").template get<double>();
    return r.at("phase").template get<std::string>() +
           (rate > 0 ? fmt::format(" @{:.0f}k/s", rate / 1000) : std::string());
  });
  row("sender mode", [](const auto& r) { return mode_of(r, "sender"); });
  row("receiver mode", [](const auto& r) { return mode_of(r, "receiver"); });
  row("frames sent", [](const auto& r) { return or_na(num(r, "/sender/result/sent"), "{:.0f}"); });
  row("frames received", [](const auto& r) {
    return or_na(num(r, "/receiver/result/received"), "{:.0f}");
  });
  row("frames lost", [](const auto& r) { return or_na(num(r, "/receiver/result/lost"), "{:.0f}"); });
  row("sender rate (pps)", [](const auto& r) { return or_na(num(r, "/sender/result/pps"), "{:.0f}"); });
  row("receiver rate (pps)", [](const auto& r) {
    return or_na(num(r, "/receiver/result/pps"), "{:.0f}");
  });
  row("receiver Mbit/s (frames)", [](const auto& r) {
    return or_na(num(r, "/receiver/result/frame_mbit_s"), "{:.1f}");
  });
  row("sender CPU user µs/pkt", [](const auto& r) {
    return per_packet_us(r, "sender", "user_s", "/sender/result/sent");
  });
  row("sender CPU sys µs/pkt", [](const auto& r) {
    return per_packet_us(r, "sender", "system_s", "/sender/result/sent");
  });
  row("receiver CPU user µs/pkt", [](const auto& r) {
    return per_packet_us(r, "receiver", "user_s", "/receiver/result/received");
  });
  row("receiver CPU sys µs/pkt", [](const auto& r) {
    return per_packet_us(r, "receiver", "system_s", "/receiver/result/received");
  });
  row("sender syscalls/pkt", [](const auto& r) {
    return syscalls_per_packet(r, "sender", "/sender/result/sent");
  });
  row("receiver syscalls/pkt", [](const auto& r) {
    return syscalls_per_packet(r, "receiver", "/receiver/result/received");
  });
  row("one-way p50 µs", [](const auto& r) {
    return or_na(num(r, "/receiver/result/one_way_latency/p50_us"), "{:.1f}");
  });
  row("one-way p99 µs", [](const auto& r) {
    return or_na(num(r, "/receiver/result/one_way_latency/p99_us"), "{:.1f}");
  });
  row("cross-check cost", [](const auto& r) { return overhead_cell(r); });
  row("checks passed", [](const auto& r) {
    int ok = 0, total = 0;
    for (const auto& c : r.at("checks")) {
      if (c.at("ok").is_null()) continue;
      ++total;
      ok += c.at("ok").template get<bool>() ? 1 : 0;
    }
    return fmt::format("{}/{}", ok, total);
  });

  // Wider than the terminal (--all-pairs): blocks of columns, one under the other.
  std::string out = render_table(table, kReportWidth);

  if (const std::string problems = render_run_problems(runs); !problems.empty()) {
    out += "\n" + problems;
  }

  out += "\nChecks against independent counters (✓ agree, ✗ differ, – not available):\n";
  for (const auto& run : runs) {
    out += "  " + run_name(run) + ":\n";
    for (const auto& c : run.at("checks")) {
      if (c.at("ok").is_null()) {
        out += item(fmt::format("{} (not available from {})", c.at("name").get<std::string>(),
                                c.at("source").get<std::string>()),
                    "    – ", 6);
      } else {
        out += item(check_text(c), c.at("ok").get<bool>() ? "    ✓ " : "    ✗ ", 6);
      }
    }
  }
  if (doc.contains("copies") && doc["copies"].is_object()) {
    out += "\n" + render_copies(doc["copies"], runs);
  }
  out += "\nNotes:\n";
  for (const auto& n : doc.at("notes")) out += item(n.get<std::string>(), "  - ", 4);
  return out;
}

}  // namespace copylab

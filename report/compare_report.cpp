#include "report/compare_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "harness/compare_caveats.hpp"
#include "harness/loss_accounting.hpp"

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

struct Row {
  std::string label;
  std::vector<std::string> cells;
};

std::string per_packet_us(const nlohmann::json& run, const char* side, const char* field,
                          const char* count_ptr) {
  const auto cpu = num(run, std::string("/") + side + "/result/cpu/" + field);
  const auto n = num(run, count_ptr);
  if (!cpu || !n || *n <= 0) return "n/a";
  return fmt::format("{:.2f}", *cpu / *n * 1e6);
}

std::string mode_of(const nlohmann::json& run, const char* side) {
  const nlohmann::json::json_pointer p(std::string("/") + side + "/mode");
  if (!run.contains(p)) return "?";
  const auto& m = run.at(p);
  std::string s = run.at(nlohmann::json::json_pointer(std::string("/") + side + "/datapath"))
                      .get<std::string>();
  for (const char* key : {"xdp_attach", "bind", "wait"}) {
    if (m.contains(key) && m[key].is_string()) s += "/" + m[key].get<std::string>();
  }
  return s;
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

}  // namespace

std::string render_run_problems(const nlohmann::json& runs) {
  std::string out;
  for (const auto& run : runs) {
    const auto& p = run.value("pacing", nlohmann::json());
    if (!p.is_object() || !p.value("missed", false)) continue;
    out += fmt::format(
        "⚠ {}: the sender reached {} frames/s, {:.0f}% short of the {} asked: this machine could "
        "not carry the paced rate, so this run is not the one asked for\n",
        run_name(run), with_commas(std::llround(p.at("achieved_pps").get<double>())),
        p.at("short_by_pct").get<double>(),
        with_commas(std::llround(p.at("target_pps").get<double>())));
  }
  const int failed = failed_checks_all(runs);
  if (failed != 0) {
    out += fmt::format("✗ {} check{} failed (copylab compare exits {}):\n", failed,
                       failed == 1 ? "" : "s", kExitChecksFailed);
    for (const auto& run : runs) {
      for (const auto& c : run.at("checks")) {
        if (c.value("ok", nlohmann::json()) != false) continue;
        out += fmt::format("    {}: {}: expected {}, observed {} [{}]\n", run_name(run),
                           c.at("name").get<std::string>(), c.at("expected").dump(),
                           c.at("observed").dump(), c.at("source").get<std::string>());
      }
    }
  }
  std::string where;
  for (const auto& run : runs) {
    const auto& acc = run.value("loss_accounting", nlohmann::json());
    if (!acc.is_object() || acc.at("lost").get<long long>() <= 0) continue;
    where += fmt::format("    {}: {}\n", run_name(run), acc.at("text").get<std::string>());
    for (const auto& a : acc.at("also")) where += "      (" + a.get<std::string>() + ")\n";
  }
  if (!where.empty()) out += "Where the lost frames went (kernel counters):\n" + where;
  return out;
}

std::string render_compare_report(const nlohmann::json& doc) {
  const auto& runs = doc.at("runs");
  std::vector<Row> rows;
  auto row = [&](std::string label, auto cell_fn) {
    Row r{std::move(label), {}};
    for (const auto& run : runs) r.cells.push_back(cell_fn(run));
    rows.push_back(std::move(r));
  };
  row("path (tx→rx)", [](const auto& r) { return r.at("pair").template get<std::string>(); });
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
  row("checks passed", [](const auto& r) {
    int ok = 0, total = 0;
    for (const auto& c : r.at("checks")) {
      if (c.at("ok").is_null()) continue;
      ++total;
      ok += c.at("ok").template get<bool>() ? 1 : 0;
    }
    return fmt::format("{}/{}", ok, total);
  });

  std::size_t label_w = 0;
  std::vector<std::size_t> col_w(runs.size(), 0);
  const auto width = [](const std::string& s) {
    // Display width: count UTF-8 code points, not bytes.
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
  };
  for (const auto& r : rows) {
    label_w = std::max(label_w, width(r.label));
    for (std::size_t i = 0; i < r.cells.size(); ++i) col_w[i] = std::max(col_w[i], width(r.cells[i]));
  }
  std::string out;
  for (const auto& r : rows) {
    out += r.label + std::string(label_w - width(r.label) + 2, ' ');
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      out += std::string(col_w[i] - width(r.cells[i]), ' ') + r.cells[i] + "  ";
    }
    out += '\n';
  }

  if (const std::string problems = render_run_problems(runs); !problems.empty()) {
    out += "\n" + problems;
  }

  out += "\nChecks against independent counters (✓ agree, ✗ differ, – not available):\n";
  for (const auto& run : runs) {
    out += fmt::format("  {} {}:\n", run.at("pair").get<std::string>(),
                       run.at("phase").get<std::string>());
    for (const auto& c : run.at("checks")) {
      if (c.at("ok").is_null()) {
        out += fmt::format("    – {} (not available from {})\n", c.at("name").get<std::string>(),
                           c.at("source").get<std::string>());
      } else {
        out += fmt::format("    {} {}: expected {}, observed {} [{}]\n",
                           c.at("ok").get<bool>() ? "✓" : "✗", c.at("name").get<std::string>(),
                           c.at("expected").dump(), c.at("observed").dump(),
                           c.at("source").get<std::string>());
      }
    }
  }
  if (doc.contains("copies") && doc["copies"].contains("text")) {
    out += "\n" + doc["copies"]["text"].get<std::string>();
  }
  out += "\nNotes:\n";
  for (const auto& n : doc.at("notes")) out += "  - " + n.get<std::string>() + "\n";
  return out;
}

}  // namespace copylab

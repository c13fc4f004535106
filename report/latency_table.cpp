#include "report/latency_table.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/report_text.hpp"

namespace copylab {

namespace {

std::string us(double ns, int prec = 1) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", prec, ns / 1000.0);
  return b;
}

std::string pad(const std::string& s, std::size_t w, bool left = false) {
  // Count UTF-8 code points so "µs" and "±" do not skew the columns.
  const std::size_t len = display_width(s);
  // Right-aligned cells always keep one space in front, so wide values never run together.
  if (left) return len >= w ? s + " " : s + std::string(w - len, ' ');
  return len + 1 >= w ? " " + s : std::string(w - len, ' ') + s;
}

const Spread* field(const RunsSummary& s, const char* key) { return s.find(key); }

std::string median_range(const RunsSummary& s, const char* key) {
  const Spread* sp = field(s, key);
  if (!sp || s.runs == 0) return "-";
  if (s.runs == 1) return us(sp->median);
  return us(sp->median) + " [" + us(sp->min) + "-" + us(sp->max) + "]";
}

std::string median_only(const RunsSummary& s, const char* key) {
  const Spread* sp = field(s, key);
  if (!sp || s.runs == 0) return "-";
  return us(sp->median);
}

std::string p50_p99(const RunsSummary& s) {
  return median_only(s, "p50") + " / " + median_only(s, "p99");
}

bool reference_ran(const LatencyResults& r, std::string_view mode) {
  const ConfigResult* c = r.find(std::string(mode), r.base_size, 0);
  return c && c->rtt.find("p50") != nullptr;
}

std::string ratio_text(std::optional<double> v) {
  if (!v) return "-";
  char b[16];
  std::snprintf(b, sizeof b, "%.2f", *v);
  return b;
}

// A latency in µs that fits a 7-column cell: one decimal below 1 ms, whole µs above.
std::string cell_us(double us_value) {
  char b[32];
  std::snprintf(b, sizeof b, us_value < 1000.0 ? "%.1f" : "%.0f", us_value);
  return b;
}

// sockperf's percentile block (MIN, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, MAX), one row per
// mode over all runs merged; a percentile the sample count cannot resolve reads "n/r".
std::string percentile_block(const LatencyResults& r) {
  std::vector<const SummaryField*> cols;
  for (const auto& f : summary_fields()) {
    if (f.percentile >= 0) cols.push_back(&f);
  }
  const std::size_t wn = 20, wc = 8, wv = 7;
  std::ostringstream o;
  o << "\nRTT percentiles, " << r.base_size
    << " B back to back, all runs merged (µs; sockperf's percentile set)\n"
    << pad("mode", wn, true) << pad("samples", wc);
  for (const auto* f : cols) o << pad(f->label, wv);
  o << "\n";
  bool any_unresolved = false;
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    if (!c || c->rtt_all.count() == 0) continue;
    const LatencyStats st = summarize(c->rtt_all);
    o << pad(m.name, wn, true) << pad(std::to_string(st.count), wc);
    for (const auto* f : cols) {
      const bool nr = unresolved(*f, st.count);
      any_unresolved |= nr;
      o << pad(nr ? "n/r" : cell_us(st.*(f->member) / 1000.0), wv);
    }
    o << "\n";
  }
  // sockperf prints these percentiles too ("---> percentile 99.999 = ...").
  static const char* const kSockperfKeys[] = {"MIN",    "25.000", "50.000", "75.000", "90.000",
                                              "99.000", "99.900", "99.990", "99.999", "MAX"};
  for (const auto& s : r.sockperf) {
    if (!s.ran) continue;
    o << pad("sockperf " + s.variant, wn, true) << pad(std::to_string(s.observations), wc);
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const auto v = i < std::size(kSockperfKeys) ? s.percentile(kSockperfKeys[i]) : std::nullopt;
      const bool nr = unresolved(*cols[i], s.observations);
      any_unresolved |= nr && v;
      o << pad(!v ? "-" : nr ? "n/r" : cell_us(*v), wv);
    }
    o << "\n";
  }
  if (any_unresolved) {
    std::string need;
    for (const auto* f : cols) {
      if (f->percentile <= 0 || f->percentile >= 100) continue;
      const std::uint64_t n = samples_to_resolve(f->percentile);
      if (n < 1000) continue;
      need += (need.empty() ? "" : ", ") + std::string(f->label) + " needs " + std::to_string(n);
    }
    o << wrap_block("n/r = not resolvable: fewer samples than the percentile needs (at least one "
                   "sample above it; " + need + "); raise --count or --reps.",
                   "");
  }
  return o.str();
}

// Which kernel timestamp each mode's split uses, one line per distinct point: the socket's
// software RX stamp and the AF_XDP steering program's XDP-hook stamp are different places in the
// receive path (and different clocks), so the table must not let them pass as one quantity.
std::string timestamp_points(const LatencyResults& r) {
  std::vector<std::pair<std::string, std::string>> points;  // (clock, where) -> modes
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    if (!c) continue;
    for (const auto& [side, s] : {std::pair{"pong", &c->one_way_split},
                                  std::pair{"ping", &c->rtt_split}}) {
      if (!s->measured) continue;
      const std::string key = s->clock + ", " + s->where;
      auto it = std::find_if(points.begin(), points.end(),
                             [&](const auto& p) { return p.first == key; });
      const std::string who = m.name + " " + side;
      if (it == points.end()) {
        points.emplace_back(key, who);
      } else {
        it->second += ", " + who;
      }
    }
  }
  std::string o;
  for (const auto& [key, who] : points) {
    o += wrap_block("Timestamp: " + key + " [" + who + "].", "", kReportWidth);
  }
  if (points.size() > 1) {
    o += wrap_block("These are different points in the receive path: '-> kernel RX' of modes with "
                   "different timestamps measures different stretches; compare splits only "
                   "within one timestamp.",
                   "");
  }
  return o;
}

// The kernel RX timestamp split of the base configuration, per mode; only measured splits get
// numbers, every other mode says why not.
std::string kernel_rx_split_section(const LatencyResults& r) {
  const SplitSummary* first = nullptr;
  bool any = false;
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    if (!c || c->runs.empty()) continue;
    any = true;
    for (const SplitSummary* s : {&c->one_way_split, &c->rtt_split}) {
      if (s->measured && !first) first = s;
    }
  }
  if (!any) return {};
  std::ostringstream o;
  const std::size_t wn = 20, wc = 15;
  o << "\nKernel RX timestamp split, " << r.base_size
    << " B back to back (µs p50 / p99, median of runs)\n";
  o << pad("mode", wn, true) << pad("1-way total", wc) << pad("-> kernel RX", wc)
    << pad("kernel RX->user", wc + 2) << pad("echo kRX->user", wc) << pad("±ns", 7) << "\n";
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    if (!c || c->runs.empty()) continue;
    o << pad(m.name, wn, true);
    const SplitSummary& ow = c->one_way_split;
    const SplitSummary& rt = c->rtt_split;
    if (!ow.measured && !rt.measured) {
      o << "  not measured\n"
        << wrap_block("pong: " + ow.not_measured + "; ping: " + rt.not_measured, "    ");
      continue;
    }
    if (ow.measured) {
      o << pad(p50_p99(ow.total), wc) << pad(p50_p99(ow.to_kernel), wc)
        << pad(p50_p99(ow.from_kernel), wc + 2);
    } else {
      o << pad("not measured", wc) << pad("-", wc) << pad("-", wc + 2);
    }
    o << pad(rt.measured ? p50_p99(rt.from_kernel) : "not measured", wc);
    const std::int64_t u = std::max(ow.measured ? ow.max_uncertainty_ns : 0,
                                    rt.measured ? rt.max_uncertainty_ns : 0);
    o << pad(std::to_string(u), 7) << "\n";
    const std::uint64_t outside = ow.outside_bracket + rt.outside_bracket;
    const std::uint64_t missing = ow.missing + rt.missing;
    if (outside || missing) {
      o << "    (" << outside << " outside bracket, " << missing << " without timestamp)\n";
    }
    if (!ow.measured) o << wrap_block("pong: " + ow.not_measured, "    ");
    if (!rt.measured) o << wrap_block("ping: " + rt.not_measured, "    ");
  }
  if (first) {
    o << wrap_block("-> kernel RX = ping send_ns to the pong's kernel RX timestamp (sender stack, "
                   "veth, receive path up to the timestamp); kernel RX->user = the rest to the "
                   "pong's user-space receive (socket: socket queue, wakeup, COPY #4; AF_XDP: copy "
                   "into UMEM, RX ring, the spinning reader); echo kRX->user = the same last leg "
                   "at the ping.",
                   "")
      << timestamp_points(r)
      << wrap_block("Converted to CLOCK_MONOTONIC_RAW by a bracketed clock offset; ±ns = the "
                   "conversion's bound (widest bracket + drift between re-measurements).",
                   "");
  }
  return o.str();
}

}  // namespace

std::string render_latency_table(const LatencyResults& r) {
  std::ostringstream o;
  const bool floor_ran = reference_ran(r, kFloorMode);
  const bool base_ran = reference_ran(r, kBaselineMode);

  o << "Round-trip latency, " << r.base_size
    << " B UDP payload, back to back (µs; median of runs [min-max of runs])\n";
  const std::size_t wn = 20, w50 = 21, w99 = 22, w1 = 11, wl = 7, wf = 9, wb = 8;
  o << pad("mode", wn, true) << pad("p50", w50) << pad("p99", w99) << pad("1-way p50", w1)
    << pad("lost", wl);
  if (floor_ran) o << pad("x floor", wf);
  if (base_ran) o << pad("x base", wb);
  o << "\n";
  auto ratio_cells = [&](std::optional<double> to_floor, std::optional<double> to_base) {
    std::string cells;
    if (floor_ran) cells += pad(ratio_text(to_floor), wf);
    if (base_ran) cells += pad(ratio_text(to_base), wb);
    return cells;
  };
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    if (!c) continue;
    o << pad(m.name, wn, true);
    if (!c->error.empty() && c->runs.empty()) {
      o << "  FAILED\n" << wrap_block(c->error, "    ");
      continue;
    }
    if (c->runs.empty()) {
      o << "  not run (interrupted)\n";
      continue;
    }
    o << pad(median_range(c->rtt, "p50"), w50) << pad(median_range(c->rtt, "p99"), w99)
      << pad(c->one_way_measured ? median_only(c->one_way, "p50") : "n/a", w1)
      << pad(std::to_string(c->packets.lost), wl)
      << ratio_cells(r.p50_ratio(*c, kFloorMode), r.p50_ratio(*c, kBaselineMode)) << "\n";
    if (!c->error.empty()) o << wrap_block("then failed: " + c->error, "    ");
  }
  for (const auto& s : r.sockperf) {
    o << pad("sockperf " + s.variant, wn, true);
    if (!s.ran) {
      o << "  not run\n" << wrap_block(s.error, "    ");
      continue;
    }
    auto p = [&](const char* k) {
      auto v = s.percentile(k);
      char b[32];
      if (!v) return std::string("-");
      std::snprintf(b, sizeof b, "%.1f", *v);
      return std::string(b);
    };
    auto ratio_to = [&](std::string_view reference) -> std::optional<double> {
      const ConfigResult* ref = r.find(std::string(reference), r.base_size, 0);
      const Spread* ref_p50 = ref ? ref->rtt.find("p50") : nullptr;
      const auto mine = s.percentile("50.000");
      if (!ref_p50 || ref_p50->median <= 0 || !mine) return std::nullopt;
      return *mine * 1000.0 / ref_p50->median;
    };
    o << pad(p("50.000"), w50) << pad(p("99.000"), w99) << pad("n/a", w1) << pad("-", wl)
      << ratio_cells(ratio_to(kFloorMode), ratio_to(kBaselineMode)) << "\n";
    o << wrap_block("(sockperf ping-pong --full-rtt, " + std::to_string(s.observations) +
                       " observations, same namespaces and CPUs; the same method as " +
                       s.compare_with + ")",
                   "    ");
  }
  std::string legend;
  if (floor_ran) {
    legend += "x floor = p50 / p50 of " + std::string(kFloorMode) +
              " (AF_XDP spinning pinger against the XDP_TX reflector: no socket, no user-space "
              "pong). ";
  }
  if (base_ran) legend += "x base = p50 / p50 of " + std::string(kBaselineMode) + ". ";
  legend += "1-way = ping send_ns to pong user-space receive.";
  o << wrap_block(legend, "");

  o << percentile_block(r);
  o << kernel_rx_split_section(r);

  // Payload-size sweep: p50 per size.
  std::vector<std::size_t> sizes;
  for (const auto& c : r.configs) {
    if (c.rate_pps == 0 && std::find(sizes.begin(), sizes.end(), c.payload_bytes) == sizes.end())
      sizes.push_back(c.payload_bytes);
  }
  if (sizes.size() > 1) {
    std::sort(sizes.begin(), sizes.end());
    // Five sizes per table keep a row within 100 columns; more sizes continue in another table.
    constexpr std::size_t kSizesPerTable = 5;
    for (std::size_t first = 0; first < sizes.size(); first += kSizesPerTable) {
      const std::size_t last = std::min(sizes.size(), first + kSizesPerTable);
      o << "\nPayload-size sweep: RTT p50 / p99 (µs, median of runs)"
        << (sizes.size() > kSizesPerTable ? first == 0 ? ", part 1" : ", continued" : "") << "\n"
        << pad("mode", wn, true);
      for (std::size_t i = first; i < last; ++i) o << pad(std::to_string(sizes[i]) + " B", 16);
      o << "\n";
      for (const auto& m : r.modes) {
        o << pad(m.name, wn, true);
        for (std::size_t i = first; i < last; ++i) {
          const ConfigResult* c = r.find(m.name, sizes[i], 0);
          std::string cell = "-";
          if (c && c->rtt.runs) cell = p50_p99(c->rtt);
          else if (c && !c->error.empty()) cell = "failed";
          o << pad(cell, 16);
        }
        o << "\n";
      }
    }
  }

  // Rate sweep.
  bool any_rate = false;
  for (const auto& c : r.configs) any_rate |= c.rate_pps > 0;
  if (any_rate) {
    o << "\nPaced rate sweep (" << r.base_size
      << " B; µs, median of runs; corrected = coordinated-omission corrected)\n"
      << pad("mode", wn, true) << pad("rate", 10) << pad("achieved", 10) << pad("p50", 9)
      << pad("p99", 9) << pad("p99 corr", 10) << pad("p99.9 corr", 11) << pad("late", 8)
      << pad("lost", 7) << "\n";
    for (const auto& m : r.modes) {
      for (const auto& c : r.configs) {
        if (c.mode != m.name || c.rate_pps == 0) continue;
        double achieved = 0;
        for (const auto& run : c.runs) achieved += run.achieved_rate_pps;
        if (!c.runs.empty()) achieved /= static_cast<double>(c.runs.size());
        o << pad(m.name, wn, true) << pad(std::to_string(static_cast<long>(c.rate_pps)), 10)
          << pad(std::to_string(static_cast<long>(achieved)), 10);
        if (c.runs.empty()) {
          o << "  FAILED\n" << wrap_block(c.error, "    ");
          continue;
        }
        o << pad(median_only(c.rtt, "p50"), 9) << pad(median_only(c.rtt, "p99"), 9)
          << pad(median_only(c.rtt_corrected, "p99"), 10)
          << pad(median_only(c.rtt_corrected, "p99_9"), 11)
          << pad(std::to_string(c.packets.behind_schedule), 8)
          << pad(std::to_string(c.packets.lost), 7) << "\n";
      }
    }
  }
  return o.str();
}

}  // namespace copylab

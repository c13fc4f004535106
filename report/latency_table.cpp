#include "report/latency_table.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace copylab {

namespace {

std::string us(double ns, int prec = 1) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", prec, ns / 1000.0);
  return b;
}

std::string pad(const std::string& s, std::size_t w, bool left = false) {
  // Count UTF-8 code points so "µs" and "±" do not skew the columns.
  std::size_t len = 0;
  for (unsigned char ch : s) len += (ch & 0xC0) != 0x80;
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
  for (const auto& [key, who] : points) o += "Timestamp: " + key + " [" + who + "].\n";
  if (points.size() > 1) {
    o += "These are different points in the receive path: '-> kernel RX' of modes with "
         "different timestamps measures different stretches; compare splits only within one "
         "timestamp.\n";
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
      o << "  not measured: pong: " << ow.not_measured << "; ping: " << rt.not_measured << "\n";
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
    o << pad(std::to_string(u), 7);
    const std::uint64_t outside = ow.outside_bracket + rt.outside_bracket;
    const std::uint64_t missing = ow.missing + rt.missing;
    if (outside || missing) {
      o << "  (" << outside << " outside bracket, " << missing << " without timestamp)";
    }
    o << "\n";
    if (!ow.measured) o << "    pong: " << ow.not_measured << "\n";
    if (!rt.measured) o << "    ping: " << rt.not_measured << "\n";
  }
  if (first) {
    o << "-> kernel RX = ping send_ns to the pong's kernel RX timestamp (sender stack, veth, "
         "receive path up to the timestamp); kernel RX->user = the rest to the pong's user-space "
         "receive (socket: socket queue, wakeup, COPY #4; AF_XDP: copy into UMEM, RX ring, the "
         "spinning reader); echo kRX->user = the same last leg at the "
         "ping.\n"
      << timestamp_points(r)
      << "Converted to CLOCK_MONOTONIC_RAW by a bracketed clock offset; ±ns = the conversion's "
         "bound (widest bracket + drift between re-measurements).\n";
  }
  return o.str();
}

}  // namespace

std::string render_latency_table(const LatencyResults& r) {
  std::ostringstream o;
  const ConfigResult* base = r.find(std::string(kBaselineMode), r.base_size, 0);
  const Spread* base_p50 = base && base->rtt.runs ? base->rtt.find("p50") : nullptr;

  o << "Round-trip latency, " << r.base_size
    << " B UDP payload, back to back (µs; median of runs [min-max of runs])\n";
  const std::size_t wn = 20, wc = 24, ws = 10;
  o << pad("mode", wn, true) << pad("p50", wc) << pad("p90", ws) << pad("p99", wc)
    << pad("p99.9", ws) << pad("max", ws) << pad("1-way p50", 11) << pad("lost", 7)
    << pad("x base", 8) << "\n";
  for (const auto& m : r.modes) {
    const ConfigResult* c = r.find(m.name, r.base_size, 0);
    if (!c) continue;
    o << pad(m.name, wn, true);
    if (!c->error.empty() && c->runs.empty()) {
      o << "  FAILED: " << c->error << "\n";
      continue;
    }
    if (c->runs.empty()) {
      o << "  not run (interrupted)\n";
      continue;
    }
    std::string ratio = "-";
    const Spread* p50 = c->rtt.find("p50");
    if (base_p50 && p50 && base_p50->median > 0 && c->rtt.runs) {
      char b[16];
      std::snprintf(b, sizeof b, "%.2f", p50->median / base_p50->median);
      ratio = b;
    }
    o << pad(median_range(c->rtt, "p50"), wc) << pad(median_only(c->rtt, "p90"), ws)
      << pad(median_range(c->rtt, "p99"), wc) << pad(median_only(c->rtt, "p99.9"), ws)
      << pad(median_only(c->rtt, "max"), ws)
      << pad(c->one_way_measured ? median_only(c->one_way, "p50") : "n/a", 11)
      << pad(std::to_string(c->packets.lost), 7) << pad(ratio, 8);
    if (!c->error.empty()) o << "  (then failed: " << c->error << ")";
    o << "\n";
  }
  for (const auto& s : r.sockperf) {
    o << pad("sockperf " + s.variant, wn, true);
    if (!s.ran) {
      o << "  not run: " << s.error << "\n";
      continue;
    }
    auto p = [&](const char* k) {
      auto v = s.percentile(k);
      char b[32];
      if (!v) return std::string("-");
      std::snprintf(b, sizeof b, "%.1f", *v);
      return std::string(b);
    };
    std::string ratio = "-";
    if (base_p50 && base_p50->median > 0 && s.percentile("50.000")) {
      char b[16];
      std::snprintf(b, sizeof b, "%.2f", *s.percentile("50.000") * 1000.0 / base_p50->median);
      ratio = b;
    }
    o << pad(p("50.000"), wc) << pad(p("90.000"), ws) << pad(p("99.000"), wc)
      << pad(p("99.900"), ws) << pad(p("MAX"), ws) << pad("n/a", 11) << pad("-", 7)
      << pad(ratio, 8) << "\n";
    o << "  (sockperf ping-pong --full-rtt, " << s.observations
      << " observations, same namespaces and CPUs; the same method as " << s.compare_with
      << ")\n";
  }
  o << "x base = p50 / p50 of " << kBaselineMode
    << "; 1-way = ping send_ns to pong user-space receive.\n";

  o << kernel_rx_split_section(r);

  // Payload-size sweep: p50 per size.
  std::vector<std::size_t> sizes;
  for (const auto& c : r.configs) {
    if (c.rate_pps == 0 && std::find(sizes.begin(), sizes.end(), c.payload_bytes) == sizes.end())
      sizes.push_back(c.payload_bytes);
  }
  if (sizes.size() > 1) {
    std::sort(sizes.begin(), sizes.end());
    o << "\nPayload-size sweep: RTT p50 / p99 (µs, median of runs)\n" << pad("mode", wn, true);
    for (auto s : sizes) o << pad(std::to_string(s) + " B", 14);
    o << "\n";
    for (const auto& m : r.modes) {
      o << pad(m.name, wn, true);
      for (auto s : sizes) {
        const ConfigResult* c = r.find(m.name, s, 0);
        std::string cell = "-";
        if (c && c->rtt.runs) cell = median_only(c->rtt, "p50") + " / " + median_only(c->rtt, "p99");
        else if (c && !c->error.empty()) cell = "failed";
        o << pad(cell, 14);
      }
      o << "\n";
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
          o << "  FAILED: " << c.error << "\n";
          continue;
        }
        o << pad(median_only(c.rtt, "p50"), 9) << pad(median_only(c.rtt, "p99"), 9)
          << pad(median_only(c.rtt_corrected, "p99"), 10)
          << pad(median_only(c.rtt_corrected, "p99.9"), 11)
          << pad(std::to_string(c.packets.behind_schedule), 8)
          << pad(std::to_string(c.packets.lost), 7) << "\n";
      }
    }
  }
  return o.str();
}

}  // namespace copylab

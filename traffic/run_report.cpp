#include "traffic/run_report.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace copylab {

CpuTimes CpuTimes::now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  CpuTimes t;
  t.user_s = static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6;
  t.system_s = static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6;
  t.voluntary_switches = ru.ru_nvcsw;
  t.involuntary_switches = ru.ru_nivcsw;
  return t;
}

CpuTimes CpuTimes::operator-(const CpuTimes& o) const {
  return {user_s - o.user_s, system_s - o.system_s, voluntary_switches - o.voluntary_switches,
          involuntary_switches - o.involuntary_switches};
}

nlohmann::json to_json(const CpuTimes& t) {
  return {{"user_s", t.user_s},
          {"system_s", t.system_s},
          {"voluntary_switches", t.voluntary_switches},
          {"involuntary_switches", t.involuntary_switches}};
}

LatencySummary summarize_latency(std::vector<std::uint32_t>& ns) {
  LatencySummary s;
  s.samples = ns.size();
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  const auto at = [&](double q) {
    const auto idx = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1) + 0.5);
    return static_cast<double>(ns[std::min(idx, ns.size() - 1)]) / 1000.0;
  };
  s.min_us = static_cast<double>(ns.front()) / 1000.0;
  s.p25_us = at(0.25);
  s.p50_us = at(0.5);
  s.p75_us = at(0.75);
  s.p90_us = at(0.9);
  s.p99_us = at(0.99);
  s.p99_9_us = at(0.999);
  s.p99_99_us = at(0.9999);
  s.p99_999_us = at(0.99999);
  s.max_us = static_cast<double>(ns.back()) / 1000.0;
  const double sum = std::accumulate(ns.begin(), ns.end(), 0.0,
                                     [](double a, std::uint32_t v) { return a + v; });
  s.mean_us = sum / static_cast<double>(ns.size()) / 1000.0;
  return s;
}

nlohmann::json to_json(const LatencySummary& l) {
  return {{"method", "one-way: payload send_ns (CLOCK_MONOTONIC_RAW) to receive, same host; "
                     "exact percentiles over the recorded samples"},
          // The percentile keys every copylab JSON uses: p<percentile with '_' for '.'>_us.
          {"samples", l.samples},         {"min_us", l.min_us},
          {"p25_us", l.p25_us},           {"p50_us", l.p50_us},
          {"p75_us", l.p75_us},           {"p90_us", l.p90_us},
          {"p99_us", l.p99_us},           {"p99_9_us", l.p99_9_us},
          {"p99_99_us", l.p99_99_us},     {"p99_999_us", l.p99_999_us},
          {"max_us", l.max_us},           {"mean_us", l.mean_us}};
}

std::string format_rate(double pps) {
  char buf[32];
  if (pps >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.3f Mpps", pps / 1e6);
  } else if (pps >= 1e3) {
    std::snprintf(buf, sizeof(buf), "%.1f kpps", pps / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f pps", pps);
  }
  return buf;
}

double mbit_per_s(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) * 8.0 / seconds / 1e6 : 0.0;
}

}  // namespace copylab

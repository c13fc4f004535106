// What a sender or receiver measured, and how it is shown: the per-second line, the final text
// summary and the JSON document that `copylab compare` reads back.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace copylab {

// CPU time this process spent (getrusage), so cost per packet can be split into user and system.
struct CpuTimes {
  double user_s = 0;
  double system_s = 0;
  std::int64_t voluntary_switches = 0;
  std::int64_t involuntary_switches = 0;
  static CpuTimes now();
  CpuTimes operator-(const CpuTimes& o) const;
};
nlohmann::json to_json(const CpuTimes& t);

// Exact percentiles over the recorded one-way latencies (send_ns in the payload → receive).
struct LatencySummary {
  std::uint64_t samples = 0;
  double min_us = 0, p25_us = 0, p50_us = 0, p75_us = 0, p90_us = 0, p99_us = 0, p99_9_us = 0,
         p99_99_us = 0, p99_999_us = 0, max_us = 0, mean_us = 0;
};
LatencySummary summarize_latency(std::vector<std::uint32_t>& ns_samples);
nlohmann::json to_json(const LatencySummary& l);

std::string format_rate(double pps);     // "1.31 Mpps", "152.4 kpps"
double mbit_per_s(std::uint64_t bytes, double seconds);

}  // namespace copylab

// The results of a latency experiment as data: one ConfigResult per (mode, payload size, rate),
// each holding its repetitions. report/ renders it (table, JSON, plots); nothing here prints.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latency/histogram.hpp"
#include "latency/latency_split.hpp"
#include "latency/modes.hpp"
#include "latency/summary.hpp"

namespace copylab {

struct PingPongCounts {
  std::uint64_t sent = 0, replies = 0, lost = 0, stale = 0, corrupt = 0, send_failures = 0,
                behind_schedule = 0, pong_echoed = 0, pong_corrupt = 0;
  void add(const PingPongCounts& o);
};
nlohmann::json to_json(const PingPongCounts& c);

// One repetition of one configuration.
struct LatencyRun {
  int rep = 0;
  LatencyStats rtt, rtt_corrected, one_way;
  SplitStats one_way_split;  // the pong's one-way time split at its kernel RX timestamp
  SplitStats rtt_split;      // the ping's RTT split at its kernel RX timestamp of the echo
  PingPongCounts packets;
  double achieved_rate_pps = 0;
  std::uint64_t elapsed_ns = 0;
  bool truncated = false;
  std::string stop_reason;
  std::uint64_t warmup_sent = 0;  // warm-up pings, those waiting for kernel RX timestamps included
  std::string warmup_note;        // non-empty: the timestamp warm-up hit its bound
  nlohmann::json ping_mode, pong_mode, ping_counters, pong_counters;  // read back from the kernel
};

struct ConfigResult {
  explicit ConfigResult(int digits)
      : rtt_all(digits), rtt_corrected_all(digits), one_way_all(digits), one_way_split(digits),
        rtt_split(digits) {}
  std::string mode;
  std::size_t payload_bytes = 0;
  double rate_pps = 0;  // 0 = back to back
  std::vector<LatencyRun> runs;
  RunsSummary rtt, rtt_corrected, one_way;  // spread across runs
  LatencyHistogram rtt_all, rtt_corrected_all, one_way_all;  // all runs merged (for plots)
  SplitSummary one_way_split, rtt_split;  // kernel RX timestamp splits (measured or why not)
  PingPongCounts packets;                                    // summed over runs
  bool one_way_measured = false;  // false for the XDP_TX reflector (no user space to timestamp)
  std::string error;              // non-empty: this configuration could not run
  void finish();                  // fills the spreads and totals from runs
};

struct SockperfResult {
  std::string variant;       // "blocking" or "nonblocked" (client and server --nonblocked)
  std::string compare_with;  // the copylab mode that runs the same way ("sock-block", "sock-spin")
  bool ran = false;
  std::string error;    // why it did not run or could not be parsed
  std::string command;  // what was run (client side)
  std::uint64_t observations = 0;
  // sockperf --full-rtt percentiles in µs, keyed like sockperf prints them ("50.000", "99.000", ...)
  std::vector<std::pair<std::string, double>> percentiles_us;
  double avg_rtt_us = 0;
  std::optional<double> percentile(const std::string& key) const;
};
nlohmann::json to_json(const SockperfResult& s);

struct LatencyResults {
  nlohmann::json meta;  // clock, method statements, options, topology, CPUs
  std::vector<ModeSpec> modes;
  std::vector<ConfigResult> configs;
  std::vector<SockperfResult> sockperf;  // empty unless --vs-sockperf
  std::size_t base_size = 64;
  const ConfigResult* find(const std::string& mode, std::size_t size, double rate) const;
  // c's RTT p50 (median of runs) over that of `reference` at the same size and rate; nullopt
  // when the reference did not run or either p50 is missing.
  std::optional<double> p50_ratio(const ConfigResult& c, std::string_view reference) const;
};

// The stable JSON document (schema "copylab.latency/2", documented in report/LATENCY_JSON.md).
inline constexpr const char* kLatencySchema = "copylab.latency/2";
nlohmann::json to_json(const LatencyResults& r);

}  // namespace copylab

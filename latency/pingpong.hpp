// The two halves of a ping-pong over the Datapath interface. The ping sends one payload (seq,
// send_ns), waits for its echo and records the round trip; the pong echoes everything and records
// the one-way time from the ping's send_ns to its own receive. Both clocks are the same host's
// CLOCK_MONOTONIC_RAW (common/clock.hpp), so one-way needs no synchronisation.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "datapath/datapath.hpp"
#include "latency/histogram.hpp"
#include "latency/latency_split.hpp"

namespace copylab {

struct PingConfig {
  std::uint64_t count = 20000;  // measured pings
  std::uint64_t warmup = 2000;  // pings sent first with kFlagWarmup, not recorded
  std::size_t payload_len = 64;
  // 0: back to back (the next ping leaves as soon as the echo is in). >0: pings are scheduled at
  // start + i/rate; one is in flight at a time (closed loop, like sockperf ping-pong --mps).
  double rate_pps = 0;
  std::chrono::milliseconds reply_timeout{200};  // an echo later than this counts as lost
  std::chrono::milliseconds max_duration{20000};  // bound on the whole run (warm-up included)
  int significant_digits = 3;
  // Ask each side's datapath for kernel RX timestamps and split its receive latency at them
  // (datapaths without them report why; the split is then "not measured").
  bool kernel_rx_split = true;
};

struct PingResult {
  explicit PingResult(int digits) : rtt(digits), rtt_corrected(digits), rtt_split(digits) {}
  LatencyHistogram rtt;            // measured round trips, as observed
  LatencyHistogram rtt_corrected;  // paced runs only: coordinated-omission corrected
  // The round trip split at the ping's kernel RX timestamp of the echo: send_ns → kernel RX
  // (both directions and the pong), kernel RX → ping user space.
  KernelRxSplit rtt_split;
  std::uint64_t sent = 0;          // measured pings sent (warm-up not included)
  std::uint64_t warmup_sent = 0;
  std::uint64_t replies = 0;       // measured echoes matched to their ping
  std::uint64_t lost = 0;          // measured pings whose echo did not arrive in time
  std::uint64_t stale = 0;         // echoes of an earlier ping that arrived after its timeout
  std::uint64_t corrupt = 0;       // echoes that failed the payload checks
  std::uint64_t send_failures = 0; // send() queued nothing even after flushing
  std::uint64_t behind_schedule = 0;  // paced: pings that left later than one interval late
  std::uint64_t elapsed_ns = 0;    // measured part only
  bool truncated = false;          // stopped early (duration bound or signal)
  std::string stop_reason;
  double achieved_rate_pps() const noexcept;
};

// Runs the ping side to completion on the calling thread (bounded by count and max_duration;
// returns early when stop_requested()).
PingResult run_ping(Datapath& dp, const PingConfig& cfg);

struct PongResult {
  explicit PongResult(int digits) : one_way(digits), one_way_split(digits) {}
  LatencyHistogram one_way;  // ping send_ns -> pong user-space receive, measured pings only
  // The one-way time split at the pong's kernel RX timestamp.
  KernelRxSplit one_way_split;
  std::uint64_t echoed = 0;
  std::uint64_t corrupt = 0;
};

// Echoes until `done` is set or a stop is requested. With `kernel_rx_split` the pong asks its
// datapath for kernel RX timestamps and splits the one-way time at them.
void run_pong(Datapath& dp, const std::atomic<bool>& done, PongResult& out,
              bool kernel_rx_split = false);

}  // namespace copylab

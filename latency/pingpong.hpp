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
  // With kernel_rx_split the warm-up goes on after `warmup` pings until every splitting side has
  // received a payload with its kernel RX timestamp (run_ping), for at most this long.
  std::chrono::milliseconds stamp_warmup_bound{5000};
};

struct PingResult {
  explicit PingResult(int digits) : rtt(digits), rtt_corrected(digits), rtt_split(digits) {}
  LatencyHistogram rtt;            // measured round trips, as observed
  LatencyHistogram rtt_corrected;  // paced runs only: coordinated-omission corrected
  // The round trip split at the ping's kernel RX timestamp of the echo: send_ns → kernel RX
  // (both directions and the pong), kernel RX → ping user space.
  KernelRxSplit rtt_split;
  std::uint64_t sent = 0;          // measured pings sent (warm-up not included)
  std::uint64_t warmup_sent = 0;   // warm-up pings sent, waiting for timestamps included
  // Non-empty when the warm-up reached stamp_warmup_bound before every splitting side had its
  // first kernel RX timestamp: measured samples may then lack one (counted as missing).
  std::string warmup_note;
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
//
// Kernel RX timestamps: the socket datapath's (SO_TIMESTAMPING) are switched on for the whole
// kernel by net_enable_timestamp() (net/core/dev.c), which defers the static key
// netstamp_needed_key to a workqueue (netstamp_clear) when no other socket holds it, so the first
// datagrams after the request can arrive without one. The key stays on while our sockets hold it,
// so once a side has received one timestamped payload every later one has its timestamp too. The
// warm-up therefore lasts `warmup` pings and then until the ping's own datapath has delivered a
// timestamped echo and `peer_stamped` (set by run_pong; nullptr: the peer does not split) is
// true, bounded by stamp_warmup_bound (then PingResult::warmup_note says so): every measured
// sample is sent after both sides' timestamps are on.
PingResult run_ping(Datapath& dp, const PingConfig& cfg,
                    const std::atomic<bool>* peer_stamped = nullptr);

struct PongResult {
  explicit PongResult(int digits) : one_way(digits), one_way_split(digits) {}
  LatencyHistogram one_way;  // ping send_ns -> pong user-space receive, measured pings only
  // The one-way time split at the pong's kernel RX timestamp.
  KernelRxSplit one_way_split;
  std::uint64_t echoed = 0;
  std::uint64_t corrupt = 0;
};

// Echoes until `done` is set or a stop is requested. With `kernel_rx_split` the pong asks its
// datapath for kernel RX timestamps and splits the one-way time at them. `stamped` (optional) is
// set before the first payload with a kernel RX timestamp is echoed, or at once when this side
// does not split: what run_ping's warm-up waits for (its `peer_stamped`).
void run_pong(Datapath& dp, const std::atomic<bool>& done, PongResult& out,
              bool kernel_rx_split = false, std::atomic<bool>* stamped = nullptr);

}  // namespace copylab

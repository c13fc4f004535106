// Splits a latency sample at the kernel's receive timestamp: send_ns (sender user space, just
// before send()) → kernel RX timestamp (the sender's stack, veth, and the receive path up to
// net_timestamp_check) → user-space receive (the rest of the receive path, the socket queue,
// the wakeup and COPY #4). The kernel timestamp is on another clock and is converted with a
// ClockConverter; a split is only ever reported when the datapath really delivered timestamps.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datapath/datapath.hpp"
#include "latency/clock_offset.hpp"
#include "latency/histogram.hpp"
#include "latency/summary.hpp"

namespace copylab {

// The samples of one run on one receiving side.
struct KernelRxSplit {
  explicit KernelRxSplit(int digits) : to_kernel(digits), from_kernel(digits), total(digits) {}
  bool measured = false;       // the datapath delivered kernel RX timestamps
  std::string not_measured;    // why not (when !measured)
  RxTimestamping source;       // clock and where, as the datapath reported it
  LatencyHistogram to_kernel;    // send_ns → kernel RX timestamp
  LatencyHistogram from_kernel;  // kernel RX timestamp → user-space receive
  LatencyHistogram total;        // send_ns → user-space receive, the same samples
  std::uint64_t missing = 0;          // payloads the kernel attached no timestamp to
  std::uint64_t outside_bracket = 0;  // timestamp outside [send - u, receive + u]: not split
  std::int64_t uncertainty_ns = 0;    // conversion bound (ClockConverter::uncertainty_ns)
  nlohmann::json conversion;          // ClockConverter::to_json() at the end of the run

  // Records one sample; `kernel_rx_raw` is the kernel timestamp already on CLOCK_MONOTONIC_RAW,
  // `u` the current conversion uncertainty. A part that comes out negative within u counts as 0;
  // a timestamp outside the bracket by more than u is counted and left out of every histogram.
  void record(std::uint64_t send_raw, std::int64_t kernel_rx_raw, std::uint64_t user_raw,
              std::int64_t u);
};

// One receiving side of a ping-pong: asks the datapath for kernel RX timestamps (when wanted),
// converts and records. With timestamps off or unavailable it records nothing and costs nothing.
class KernelRxSplitter {
 public:
  KernelRxSplitter(Datapath& dp, bool wanted, KernelRxSplit& out);
  bool active() const noexcept { return conv_.has_value(); }
  // Between samples (outside the timed region): re-measures the clock offset when due.
  void maybe_refresh(std::uint64_t now_raw) {
    if (conv_) conv_->maybe_refresh(now_raw);
  }
  void record(std::uint64_t send_raw, const RxMeta& meta, std::uint64_t user_raw);
  // Stores the conversion's final state and uncertainty into the split.
  void finish();

 private:
  KernelRxSplit& out_;
  std::optional<ClockConverter> conv_;
};

// A run's split as statistics (what LatencyRun keeps).
struct SplitStats {
  bool measured = false;
  std::string not_measured;
  LatencyStats to_kernel, from_kernel, total;
  std::uint64_t samples = 0, missing = 0, outside_bracket = 0;
  std::int64_t uncertainty_ns = 0;
  nlohmann::json conversion;
};
SplitStats summarize(const KernelRxSplit& s);
nlohmann::json to_json(const SplitStats& s);

// The split of one configuration over its runs (what ConfigResult keeps).
struct SplitSummary {
  explicit SplitSummary(int digits) : to_kernel_all(digits), from_kernel_all(digits), total_all(digits) {}
  bool measured = false;
  std::string not_measured;
  std::string clock, where, source;  // from the first measured run
  RunsSummary to_kernel, from_kernel, total;
  LatencyHistogram to_kernel_all, from_kernel_all, total_all;  // merged over runs
  std::uint64_t samples = 0, missing = 0, outside_bracket = 0;
  std::int64_t max_uncertainty_ns = 0;
  void add_run(const KernelRxSplit& run);  // merge histograms and counts
  void finish(const std::vector<SplitStats>& runs);
};
nlohmann::json to_json(const SplitSummary& s);

}  // namespace copylab

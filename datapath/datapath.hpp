// The one seam between traffic and the kernel: every datapath (UDP socket, AF_XDP, and DPDK if
// ever added) moves frames through this interface, so the traffic generator, the validator, the
// stats and the latency experiments are written once. Datapaths differ only in how frames move.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/function_ref.hpp"
#include "datapath/wait_policy.hpp"

namespace copylab {

// Writes one payload in place (exactly payload.size() bytes): into the UMEM frame for AF_XDP,
// into the user buffer handed to sendmmsg for the socket path.
using PayloadFill = FunctionRef<void(std::span<std::uint8_t> payload)>;
// Sees one received UDP payload. An empty span means a frame arrived that the datapath could not
// parse as the experiment's Ethernet/IPv4/UDP, or whose IPv4 or UDP checksum is wrong (the
// kernel's receive path would drop it); the validator counts it as corrupt.
using PayloadSink = FunctionRef<void(std::span<const std::uint8_t> payload)>;

// What the kernel told the datapath about one received payload besides its bytes.
struct RxMeta {
  static constexpr std::int64_t kNone = -1;
  // The kernel's receive timestamp in ns of the clock RxTimestamping::clock names, or kNone when
  // the datapath has none for this payload (timestamps off, or the kernel attached none).
  std::int64_t kernel_rx_ns = kNone;
  bool has_kernel_rx() const noexcept { return kernel_rx_ns >= 0; }
};
// Sees one received payload with its RxMeta (receive_with_meta / echo_with_meta).
using PayloadMetaSink =
    FunctionRef<void(std::span<const std::uint8_t> payload, const RxMeta& meta)>;

// The answer to Datapath::enable_rx_timestamps(): what the datapath got, read back from the
// kernel, and in words where and with which clock the kernel takes the timestamp.
struct RxTimestamping {
  bool enabled = false;
  int clock = 0;        // clockid_t of RxMeta::kernel_rx_ns (CLOCK_REALTIME for SO_TIMESTAMPING)
  std::string clock_name;  // "CLOCK_REALTIME"
  std::string source;   // e.g. "SO_TIMESTAMPING (SOF_TIMESTAMPING_RX_SOFTWARE|SOFTWARE), ..."
  std::string where;    // where in the kernel's receive path the timestamp is taken
  std::string why_not;  // !enabled: why this datapath has no per-payload kernel RX timestamp
};

class Datapath {
 public:
  Datapath() = default;
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;
  virtual ~Datapath() = default;

  // "socket" or "af_xdp": the label reports and JSON use.
  virtual std::string_view name() const = 0;

  // Queues up to `n` frames, calling `fill` once per frame. Returns how many were queued (fewer
  // when the TX ring or the socket buffer is full). Frames may sit in user space until flush().
  virtual std::size_t send(std::size_t n, PayloadFill fill) = 0;
  // Pushes queued frames to the kernel (AF_XDP: kick + reap completions). Returns frames still
  // in flight (queued or awaiting completion); 0 means everything sent has left.
  virtual std::size_t flush() = 0;

  // Hands up to `max` received payloads to `sink` without blocking; returns how many.
  virtual std::size_t receive(std::size_t max, PayloadSink sink) = 0;
  // Waits, per the configured WaitPolicy, until receive() may find data or `timeout` passes.
  // Returns false on timeout or when interrupted by a stop signal.
  virtual bool wait_rx(std::chrono::milliseconds timeout) = 0;

  // The pong of a ping-pong: receives up to `max` frames and sends each straight back to its
  // source (AF_XDP: swaps the headers in place in the same UMEM frame; socket: sendmmsg to the
  // recvmmsg source address). `seen` sees each payload first. Returns how many were echoed.
  virtual std::size_t echo(std::size_t max, PayloadSink seen) = 0;

  // Opt-in per-payload kernel RX timestamps (off by default, so receive()/echo() pay nothing).
  // Call before traffic flows; calling again returns the same answer. A datapath without them
  // returns enabled=false and why_not.
  virtual RxTimestamping enable_rx_timestamps() {
    RxTimestamping t;
    t.why_not = std::string("the ") + std::string(name()) +
                " datapath has no per-payload kernel receive timestamp";
    return t;
  }
  // receive() and echo() that also hand each payload's RxMeta. The defaults wrap receive() and
  // echo() with an empty RxMeta; datapaths with kernel timestamps override them.
  virtual std::size_t receive_with_meta(std::size_t max, PayloadMetaSink sink) {
    return receive(max, [&](std::span<const std::uint8_t> p) { sink(p, RxMeta{}); });
  }
  virtual std::size_t echo_with_meta(std::size_t max, PayloadMetaSink seen) {
    return echo(max, [&](std::span<const std::uint8_t> p) { seen(p, RxMeta{}); });
  }

  // The mode this datapath actually got, read back from the kernel (XDP attach mode, bind
  // flags from XDP_OPTIONS, need_wakeup, busy-poll settings, socket options...).
  virtual nlohmann::json mode() const = 0;
  // The kernel's and the datapath's own counters (XDP_STATISTICS, steering program counters,
  // socket drops, frames that failed to parse...).
  virtual nlohmann::json counters() const = 0;
};

}  // namespace copylab

// The one seam between traffic and the kernel: every datapath (UDP socket, AF_XDP, and DPDK if
// ever added) moves frames through this interface, so the traffic generator, the validator, the
// stats and the latency experiments are written once. Datapaths differ only in how frames move.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/function_ref.hpp"

namespace copylab {

// Writes one payload in place (exactly payload.size() bytes): into the UMEM frame for AF_XDP,
// into the user buffer handed to sendmmsg for the socket path.
using PayloadFill = FunctionRef<void(std::span<std::uint8_t> payload)>;
// Sees one received UDP payload. An empty span means a frame arrived that the datapath could not
// parse as the experiment's Ethernet/IPv4/UDP (the validator counts it as corrupt).
using PayloadSink = FunctionRef<void(std::span<const std::uint8_t> payload)>;

enum class WaitPolicy {
  kBlock,     // socket: blocking recv (one wakeup per datagram)
  kSpin,      // non-blocking polling of the ring / MSG_DONTWAIT
  kPoll,      // poll(2) on the fd
  kBusyPoll,  // SO_BUSY_POLL + SO_PREFER_BUSY_POLL, then spin
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

  // The mode this datapath actually got, read back from the kernel (XDP attach mode, bind
  // flags from XDP_OPTIONS, need_wakeup, busy-poll settings, socket options...).
  virtual nlohmann::json mode() const = 0;
  // The kernel's and the datapath's own counters (XDP_STATISTICS, steering program counters,
  // socket drops, frames that failed to parse...).
  virtual nlohmann::json counters() const = 0;
};

}  // namespace copylab

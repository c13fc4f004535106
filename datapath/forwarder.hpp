// What a middle box's forwarder offers its tool: frames taken in on one device and sent out of
// another, in batches, with a wait for more, a bounded drain at the end, and the JSON read-back
// of how it is set up (mode) and what it counted (counters). Implemented by the AF_XDP
// shared-UMEM forwarder (xdp/) and the UDP socket relay (sock/).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace copylab {

class Forwarder {
 public:
  virtual ~Forwarder() = default;
  // "af_xdp_shared_umem", "socket_relay".
  virtual std::string_view name() const = 0;
  // Moves up to `max` frames that are ready from the ingress side to the egress side; returns how
  // many it handed to the egress device (0 when none were ready).
  virtual std::size_t forward(std::size_t max) = 0;
  // Blocks (per the wait policy) until frames may be ready or `timeout` passes.
  virtual void wait(std::chrono::milliseconds timeout) = 0;
  // At the end: pushes out what is still in flight to the egress device, at most `timeout`.
  virtual void finish(std::chrono::milliseconds timeout) = 0;
  virtual nlohmann::json mode() const = 0;
  virtual nlohmann::json counters() const = 0;
  // Frames handed to the egress device so far.
  virtual std::uint64_t forwarded() const = 0;
};

}  // namespace copylab

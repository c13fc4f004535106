// What traffic to send and when to stop: one description shared by every sender and receiver,
// so the socket and AF_XDP paths carry identical frames.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace copylab {

struct TrafficConfig {
  std::size_t payload_size = 64;   // UDP payload bytes, payload header included
  std::uint64_t count = 0;         // frames to send/expect; 0 = until duration or signal
  double duration_s = 0;           // 0 = no time bound
  double rate_pps = 0;             // 0 = as fast as the datapath goes
  std::size_t batch = 64;          // frames handed to the datapath per call
};

struct ReceiverLimits {
  double idle_timeout_s = 0;       // stop this long after the last frame (0 = never)
  bool per_second = true;          // print a stats line every second
  // A harness creates this file once its sender has finished; the receiver then drains: it keeps
  // receiving until --count frames are in or no frame arrived for drain_s (bounded), and exits.
  // With a stop file the idle timeout is not used: a gap in the traffic while the sender still
  // runs must not end the receiver.
  std::string stop_after_file;
  double drain_s = 1.0;
};

// Throws Error(kExitUsage) for impossible rates, zero batch. The payload size was checked where
// it entered (the --size option); the device checks it against its MTU (check_payload_fits).
void validate(const TrafficConfig& cfg);
nlohmann::json to_json(const TrafficConfig& cfg);

}  // namespace copylab

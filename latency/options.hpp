// What `copylab latency` was asked to do, and the checks that turn bad input into one clear
// error before any namespace, socket or XDP program exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "latency/modes.hpp"

namespace copylab {

inline constexpr double kMaxRatePps = 1'000'000.0;  // pacing finer than 1 µs is not pacing

struct LatencyOptions {
  std::string modes = "default";
  XskBindChoice xsk_bind = XskBindChoice::kCopy;  // applied to the modes (apply_xsk_bind)
  std::uint64_t count = 20000;
  std::uint64_t warmup = 2000;
  int reps = 3;
  std::size_t size = 64;             // UDP payload bytes
  std::vector<std::size_t> sizes;    // payload-size sweep (empty: none)
  std::vector<double> rates;         // paced rate sweep in pings/s (empty: none)
  double duration_s = 30.0;          // bound on one run
  int reply_timeout_ms = 200;
  int cpu_ping = 0;
  int cpu_pong = 1;
  int digits = 3;
  std::string json_path;
  std::string html_dir;
  std::string netns;  // "A,B" (reuse existing namespaces)
  std::string dev;    // "X,Y"
  bool vs_sockperf = false;
  bool rx_timestamps = true;  // kernel software RX timestamps on socket receivers (the split)
  bool quiet = false;  // no progress lines
};

// The validated plan.
struct LatencyPlan {
  std::vector<ModeSpec> modes;
  std::vector<std::size_t> sizes;  // the base size first, then the sweep (deduplicated)
  std::vector<double> rates;       // sorted
};

// Payload sizes within kMinPayloadSize..kMaxPayloadSize (the devices' MTU is checked once they
// exist, with check_payload_fits). `cpus`: online CPUs, for the CPU checks.
LatencyPlan validate(const LatencyOptions& o, int cpus);

// "64,256,1472" → sizes; throws Error(kExitUsage) naming the option on junk.
std::vector<std::size_t> parse_size_list(const std::string& text, const char* option);
std::vector<double> parse_rate_list(const std::string& text, const char* option);
// "A,B" → {A, B}; throws naming `option` unless exactly two non-empty names.
std::pair<std::string, std::string> parse_pair(const std::string& text, const char* option);

}  // namespace copylab

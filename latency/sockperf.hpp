// The independent check: sockperf's own UDP ping-pong between the same namespaces, pinned to the
// same CPUs, so its percentiles can be set next to copylab's socket-blocking mode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "latency/results.hpp"

namespace copylab {

struct SockperfParams {
  std::string ns_server, ns_client;
  std::string server_ip;  // the pong side's address
  int cpu_server = 1, cpu_client = 0;
  std::size_t msg_size = 64;
  int seconds = 3;
  std::uint16_t port = 11111;
  bool nonblocked = false;  // --nonblocked on both ends: sockperf's spinning variant
};

bool sockperf_installed();
// Runs server + client; failures are reported in the result (ran=false, error), not thrown.
SockperfResult run_sockperf(const SockperfParams& p);
// Parses `sockperf ping-pong --full-rtt` output (3.x): observations, avg-rtt, percentiles.
SockperfResult parse_sockperf_output(const std::string& text);

}  // namespace copylab

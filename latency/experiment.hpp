// Runs ping-pongs: one repetition of one mode on two pinned threads, each inside its own
// namespace, and the whole plan (modes × sizes × rates × repetitions) with progress lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "latency/options.hpp"
#include "latency/pingpong.hpp"
#include "latency/results.hpp"
#include "netns/topology.hpp"
#include "netns/topology_defaults.hpp"

namespace copylab {

struct RunParams {
  int cpu_ping = 0;
  int cpu_pong = 1;
  PingConfig ping;
  std::uint16_t port = topology_defaults::kDstPort;
  std::chrono::seconds setup_timeout{20};
  // The pong side's view of the topology (ns_b, dev_b, its own and its peer's addresses); null:
  // the same as the ping's. Through a middle box the two ends address different next hops.
  const TopologyConfig* pong_topo = nullptr;
};

// The run parameters `opts` gives one repetition of one (payload size, rate).
RunParams run_params_for(const LatencyOptions& opts, std::size_t payload_bytes, double rate_pps);

struct OnceOutcome {
  explicit OnceOutcome(int digits) : ping(digits), pong(digits) {}
  PingResult ping;
  PongResult pong;
  LatencyRun record;
};

// One ping-pong: the pong thread enters ns_b (of params.pong_topo when set), pins to cpu_pong and builds its side (or attaches
// the XDP_TX reflector); the ping thread enters ns_a, pins to cpu_ping, builds its side (plus the
// peer pass-through for the reflector), waits for the pong, and pings. Every kernel object is
// released on its own thread, inside its namespace, before this returns or throws.
OnceOutcome run_pingpong_once(const ModeSpec& mode, const TopologyConfig& topo,
                              const RunParams& params);

// A progress line for long sweeps: "[k/N] ...".
using ProgressFn = std::function<void(const std::string&)>;

// The whole plan. Repetitions are interleaved (rep 1 of every configuration, then rep 2, ...)
// so slow drifts of this noisy VM spread over all modes instead of biasing one.
LatencyResults run_experiment(const LatencyPlan& plan, const LatencyOptions& opts,
                              const TopologyConfig& topo, const ProgressFn& progress);

// The method statements that go into every report (text and JSON).
nlohmann::json method_json(const LatencyOptions& opts);

}  // namespace copylab

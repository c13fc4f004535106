// A ping-pong whose sides run as child processes: the DPDK sides. DPDK's EAL starts once per
// process (rte_eal_init cannot run twice), and each side needs its own namespace and device, so
// each runs as the tool dpdk_pingpong (`ip netns exec`, its own EAL file prefix), started
// through copylab's one launcher (common/child_process) with the ready-file handshake; its
// result JSON (latency/pingpong_json) comes back through a file.
#pragma once

#include <optional>
#include <string>

#include "latency/experiment.hpp"

namespace copylab {

// The tool every out-of-process side runs.
inline constexpr const char* kPingPongTool = "dpdk_pingpong";

// nullopt when `bin_dir` holds an executable dpdk_pingpong; else why not, with the fix.
std::optional<std::string> pingpong_tool_missing(const std::string& bin_dir);

// One repetition of a mode with DPDK on both sides: the pong starts on (ns_b, dev_b), the ping on
// (ns_a, dev_a) waits for a go file; both report ready, the go file appears, the ping runs to its
// end (bounded by params.ping.max_duration plus the setup timeout, or a stop request) and the
// pong is stopped with SIGTERM. Fills out.ping, out.pong and the record's modes and counters.
// Throws Error quoting the side's own last log line when a side fails; every child is stopped
// and its files removed however this returns.
void run_tool_sides(const ModeSpec& mode, const TopologyConfig& topo, const RunParams& params,
                    OnceOutcome& out);

}  // namespace copylab

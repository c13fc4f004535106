// The one factory from a PathSpec to the command line of copylab's traffic tools (xdp_sender,
// xdp_receiver, sock_sender, sock_receiver, and where DPDK is built dpdk_sender, dpdk_receiver), for traffic from a topology's side A to side B.
// compare, hist and the tests start the tools with it, so every flag is spelled here once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netns/topology.hpp"
#include "pathspec/path_spec.hpp"

namespace copylab {

enum class ToolRole { kSender, kReceiver };

// "xdp_sender", "xdp_receiver", "sock_sender", "sock_receiver", "dpdk_sender", "dpdk_receiver".
const char* tool_name(DatapathKind datapath, ToolRole role) noexcept;
// The four tools every build has: sock_sender, sock_receiver, xdp_sender, xdp_receiver (the DPDK
// tools are optional: tool_name(DatapathKind::kDpdk, ...)).
std::vector<std::string> all_tool_names();

// One tool's run. The sender runs on side A (dev_a, ns_a) and sends to side B; the receiver runs
// on side B. Unset optionals and empty paths leave the tool's own default (no flag).
struct ToolLaunch {
  PathSpec path;  // the tool (datapath), --mode (AF_XDP receiver), --wait, --need-wakeup, --cpu
  ToolRole role = ToolRole::kSender;
  std::optional<std::uint16_t> src_port;  // sender only
  std::optional<std::uint16_t> dst_port;
  std::optional<std::size_t> size;        // --size: UDP payload bytes
  std::optional<std::uint64_t> count;
  double rate_pps = 0;                    // sender only: > 0 paces with --rate
  std::optional<double> duration_s;
  // Receiver only.
  std::optional<double> idle_timeout_s;
  std::string stop_after_file;
  std::optional<double> drain_s;
  bool per_second = true;  // false: --no-per-second
  int sched_fifo = 0;      // --sched-fifo PRIO (0: none, the tool stays SCHED_OTHER)
  // Socket only: receive buffer bytes requested (--rcvbuf).
  std::optional<int> rcvbuf;
  // AF_XDP and DPDK: ring entries; AF_XDP only: UMEM frames; DPDK only: mbufs (the PMD's UMEM).
  std::optional<std::uint32_t> ring_size;
  std::optional<std::uint32_t> frame_count;
  std::optional<std::uint32_t> mbufs;
  // Harness files: the JSON result, the ready file, and (sender only) the go file.
  std::string json_file;
  std::string ready_file;
  std::string start_after_file;
  bool verbose = false;  // -v: the tool's mode line
};

// The tool's flags (no program name): device and addresses from `topo`, then the path, the
// traffic, the limits and the harness files. Throws Error (kExitUsage) for a flag the tool's
// role or datapath does not take (a receiver --rate, a socket --ring-size ...).
std::vector<std::string> tool_args(const TopologyConfig& topo, const ToolLaunch& launch);

// The whole command: `ip netns exec <ns_a|ns_b> <bin_dir>/<tool> <tool_args>`.
std::vector<std::string> tool_argv(const TopologyConfig& topo, const ToolLaunch& launch,
                                   const std::string& bin_dir);

}  // namespace copylab

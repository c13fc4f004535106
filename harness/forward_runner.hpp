// Runs one (forwarder, phase) of `copylab forward`: the receiver in B and the sender in A as
// compare runs them (run_compare_phase), the forwarder in M started between the two, M's kernel
// counters read before and after, and the cross-check scoped to M: its ledger, checked against
// M's own counters (UDP MIB, link statistics of both devices, the forwarder's XDP statistics).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "evidence/compare_checks.hpp"
#include "evidence/kernel_counters.hpp"
#include "harness/compare_runner.hpp"
#include "harness/forward_spec.hpp"

namespace copylab {

// A kernel copy that AF_XDP's copy mode does in M instead of the relay's user copies: named, with
// how many times it ran (moved into the kernel, not gone).
struct MovedCopy {
  std::string what;    // "xdp_buff -> UMEM (__xsk_rcv, copy mode)"
  std::uint64_t count = 0;
  std::string source;  // the counter it was read from
};

struct ForwardRecord {
  ForwarderKind kind = ForwarderKind::kRelay;
  RunRecord run;                 // A and B as compare records them; evidence scoped to M
  nlohmann::json forwarder_doc;  // the forwarder tool's JSON as it wrote it
  KernelCounters m_in;           // M: its UDP MIB and its ingress device's link stats (deltas)
  KernelCounters m_out;          // M's egress device's link stats (delta)
  // The ledger in M (nullopt: no cross-check, or the kernel cannot count the line).
  std::optional<std::uint64_t> copy1, copy4, xsk_redirects;
  SyscallTally forwarder_syscalls;
  std::vector<CheckRow> m_checks;
  std::vector<MovedCopy> moved;
  std::uint64_t forwarded = 0;
  double forwarded_pps = 0;                 // the forwarder's own rate, first to last batch
  std::optional<double> cpu_ns_per_packet;  // the forwarder's CPU time (user + system) / forwarded
  // The forwarding loop's scheduling policy as the kernel reported it to the forwarder
  // ({"policy": "SCHED_FIFO", "priority": 10}); null when the forwarder did not write it.
  nlohmann::json sched;
  // B's receiver's policy as the kernel reported it to the receiver; null when it did not write it.
  nlohmann::json sched_b;
};

// B's receiver's SCHED_FIFO priority in `phase` for a forwarder in M at `forwarder_priority`
// (0: SCHED_OTHER). Paced: the forwarder's own, so where the two share a CPU busy SCHED_OTHER
// tasks there delay neither (as SCHED_OTHER the receiver shares what M leaves with all of them
// and its socket buffer can overflow), and neither preempts the other: the receiver runs when
// the forwarder waits, which a paced forwarder does between frames, and takes a batch. One
// priority above would preempt the relay on every datagram it sends (its rate fell from 348k
// to 61k frames/s). Unpaced: SCHED_OTHER, because M never waits there and a real-time receiver
// at its priority would never run; B takes what the CPU leaves it and the rest is counted as
// lost after M.
int receiver_sched_fifo(int forwarder_priority, const PhaseSpec& phase);

// The forwarder tool's command line in M (ip netns exec ...). With `back_port` it forwards both
// ways: datagrams to that UDP port go back from B to A (the relay sends them from its egress
// socket's port `back_port` and its ingress address; the AF_XDP forwarder steers them on M's
// egress device and rewrites them to A's MAC).
std::vector<std::string> forwarder_argv(const TopologyConfig& t, ForwarderKind kind,
                                        const ForwardOptions& o, const std::string& json,
                                        const std::string& ready,
                                        std::optional<std::uint16_t> back_port = std::nullopt);

// With `cross_check` false no BPF program is loaded (the run's evidence stays empty).
ForwardRecord run_forward_phase(const TopologyConfig& topo, ForwarderKind kind,
                                const PhaseSpec& phase, const ForwardOptions& opts,
                                const std::string& work_dir, bool cross_check,
                                const std::function<void(const std::string&)>& progress);

nlohmann::json to_json(const MovedCopy& m);
nlohmann::json to_json(const ForwardRecord& r);

}  // namespace copylab

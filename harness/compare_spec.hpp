// What `copylab compare` runs: which datapath pairs, which traffic phases, on which topology.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netns/topology.hpp"
#include "netns/topology_defaults.hpp"
#include "pathspec/path_spec.hpp"
#include "xdp/xdp_mode.hpp"

namespace copylab {

// A pair's side is a datapath kind; the name compare's code has used for it.
using PathKind = DatapathKind;

struct PairSpec {
  PathKind tx;
  PathKind rx;
  // The AF_XDP side(s) bind with XDP_ZEROCOPY (else XDP_COPY); false on a socket->socket pair.
  bool zero_copy = false;
  // "socket->af_xdp", "af_xdp_zc->af_xdp_zc": ASCII, the pair id in the JSON and the report.
  std::string label() const;
};

struct PhaseSpec {
  std::string name;     // "paced" / "unpaced"
  std::uint64_t count;  // frames the sender sends
  double rate_pps;      // 0 = unpaced
};

struct CompareOptions {
  std::size_t payload_size = 64;
  std::uint64_t paced_count = 100'000;
  double paced_rate = 50'000;  // both paths carry this on a 2-core VM (socket tops out ~150 kpps)
  std::uint64_t unpaced_count = 300'000;
  bool skip_unpaced = false;
  // Each run with a cross-check attached is preceded by the same run without it, so the report
  // states what the evidence cost (pps unpaced, one-way p50 paced) on this machine, now.
  bool calibrate = true;
  bool all_pairs = false;
  // Run the DPDK pairs (net_af_xdp PMD): set by compare once the DPDK tools are built and the
  // EAL and PMD start on the experiment's receiving device.
  bool with_dpdk = false;
  XdpMode xdp_mode = XdpMode::kNative;  // native or generic
  XskBindChoice xsk_bind = XskBindChoice::kCopy;
  // AF_XDP receivers' RX ring (fill ring twice this) and UMEM frames: RX-only, all of them
  // circulate through the fill and RX rings, up to the ring size. 8192 rather than the tools'
  // 2048/4096: unpaced on a loaded 2-CPU machine the receiver lost 48-54% of 300k frames with
  // 2048 frames in circulation (every loss XSK rx_dropped: fill ring empty) and 0-3.7% with 8192.
  std::uint32_t rx_ring_size = 8192;
  std::uint32_t rx_frame_count = 8192;
  std::uint16_t dst_port = topology_defaults::kDstPort;
  std::uint16_t src_port = topology_defaults::kSrcPort;
  int cpu_tx = 0;
  int cpu_rx = 1;
  // The receiver's --sched-fifo (0: SCHED_OTHER). copylab forward sets it above M's forwarder's
  // priority when the two share a CPU; compare leaves it 0.
  int rx_sched_fifo = 0;
  std::vector<std::string> netns;  // reuse: A,B
  std::vector<std::string> devs;   // reuse: X,Y
  std::string work_dir;            // logs and per-run JSON (default: a temp dir, removed)
  bool keep_logs = false;
  std::string backend = "auto";    // cross-check backend: auto|bpf|kmod|none
  std::string kmod_module;         // --backend kmod: prebuilt copyprobe.ko ("" = build it)
};

std::vector<PairSpec> pairs_for(const CompareOptions& opts);
// socket->socket, then af_xdp->af_xdp per --xsk-bind (copy before zero-copy), then with
// --all-pairs the mixed pairs (their AF_XDP side zero-copy only for --xsk-bind zero-copy); with
// with_dpdk then dpdk->dpdk and, with --all-pairs, af_xdp->dpdk and dpdk->af_xdp.
// The paths a pair's sender and receiver run: the pair's datapath with the tools' default wait
// and need_wakeup, --xdp-mode and the pair's bind on an AF_XDP side, pinned to --cpu-tx / --cpu-rx.
PathSpec sender_path(const PairSpec& pair, const CompareOptions& opts);
PathSpec receiver_path(const PairSpec& pair, const CompareOptions& opts);
std::vector<PhaseSpec> phases_for(const CompareOptions& opts);

}  // namespace copylab

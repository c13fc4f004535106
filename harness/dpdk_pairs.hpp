// Whether `copylab compare` can run its DPDK pairs here: the DPDK tools are built (they are
// optional: pkg-config found libdpdk) and the EAL and the net_af_xdp PMD start on the
// experiment's receiving device. When not, compare says why in one line and runs the others.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/compare_runner.hpp"
#include "netns/topology.hpp"

namespace copylab {

// nullopt when dpdk_receiver starts on (ns_b, dev_b) and reports ready; else the one-line reason
// with its fix ("not built: ..." when a DPDK tool is missing from `bin_dir`, or the tool's own
// error line). Starts the receiver once, for
// about as long as the EAL takes, and stops it; its log is `work_dir`/dpdk-probe.log.
std::optional<std::string> dpdk_unavailable(const TopologyConfig& topo, const std::string& bin_dir,
                                            const std::string& work_dir);

// The copies DPDK's net_af_xdp PMD made between mbufs and UMEM frames in each run with a DPDK
// side, one line per run, from the DPDK tools' own per-mbuf counts (counters.pmd_umem): a frame
// received at RTE_PKTMBUF_HEADROOM was copied out of the UMEM by af_xdp_rx_cp, one at the
// kernel's offset is the mbuf the kernel wrote (af_xdp_rx_zc); an mbuf sent from another pool
// than the PMD's is copied into its UMEM by af_xdp_tx_zc, one of its pool goes by descriptor.
// Runs whose tools reported no such counts get no line.
std::vector<std::string> pmd_copy_lines(const std::vector<RunRecord>& runs);

}  // namespace copylab

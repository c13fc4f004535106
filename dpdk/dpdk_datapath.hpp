// The DPDK datapath: DPDK's AF_XDP poll-mode driver (net_af_xdp) on the experiment's device and
// queue, with frames built and parsed in mbufs. The PMD puts its UMEM on the mbuf pool and
// attaches its own XDP program (libxdp's default, which redirects every frame of the queue to
// its XSK); frames that are not the experiment's UDP port are counted and dropped.
#pragma once

#include <memory>

#include "datapath/datapath.hpp"
#include "dpdk/dpdk_config.hpp"

namespace copylab {

// Starts the EAL and the port in the calling thread's network namespace (once per process).
// Call validate(cfg) first; throws Error for what only DPDK or the kernel can refuse, with
// nothing left attached.
std::unique_ptr<Datapath> make_dpdk_datapath(const DpdkConfig& cfg);

}  // namespace copylab

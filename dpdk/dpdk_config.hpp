// Everything the DPDK datapath needs: the device and queue the net_af_xdp PMD binds, the EAL
// arguments, the mbuf pool and ring geometry, the frames it sends and the UDP port it keeps.
// Validated before the EAL starts, so bad input gets one line and nothing is attached.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datapath/wait_policy.hpp"
#include "packet/frame.hpp"

namespace copylab {

struct DpdkConfig {
  // The EAL arguments copylab passes unless --eal-args replaces them: no huge pages (anonymous
  // memory, 512 MiB) and no PCI scan. Not --in-memory: the EAL refuses it with --no-huge, which
  // implies --legacy-mem (lib/eal/common/eal_common_options.c eal_check_common_options).
  static constexpr const char* kDefaultEalArgs = "--no-huge -m 512 --no-pci";

  std::string dev;
  std::uint32_t queue = 0;
  bool rx = true;   // a receiver keeps received frames; a sender drops them (the PMD binds both)
  bool tx = true;
  std::size_t payload_size = 64;
  std::size_t batch = 64;           // mbufs per rte_eth_rx_burst / rte_eth_tx_burst
  std::uint32_t ring_size = 2048;   // RX and TX descriptors (the XSK's RX and TX rings)
  std::uint32_t mbufs = 8192;       // mbufs in the pool the PMD also uses as its UMEM
  WaitPolicy wait = WaitPolicy::kSpin;  // spin: busy_budget=0; busy-poll: busy_budget
  std::uint32_t busy_poll_budget = 64;  // the PMD's busy_budget with --wait busy-poll
  bool force_copy = false;          // the PMD's force_copy (bind with XDP_COPY)
  std::string eal_args = kDefaultEalArgs;
  FrameSpec frame = standard_frame_spec();
  // The UDP destination port of the received frames kept; 0: frame.dst_port (a receiver's flow).
  // A pinger keeps its echoes, which come back to its source port.
  std::uint16_t rx_port = 0;

  std::uint16_t flow_port() const noexcept { return rx_port != 0 ? rx_port : frame.dst_port; }

  // The PMD's busy_budget devarg: 0 (no busy polling) unless --wait busy-poll.
  std::uint32_t busy_budget() const noexcept {
    return wait == WaitPolicy::kBusyPoll ? busy_poll_budget : 0;
  }
  // "net_af_xdp0,iface=DEV,start_queue=Q,queue_count=1,busy_budget=B[,force_copy=1]".
  std::string vdev_arg() const;
  // kDefaultEalArgs (or --eal-args) split on blanks.
  std::vector<std::string> eal_arg_list() const;
};

// Throws Error(kExitUsage) with the fix for: wait policies the PMD has no equivalent of, rings
// and pools that are not powers of two or too small, a payload over the MTU or the PMD's frame,
// a device or queue missing in this namespace, EAL arguments copylab sets itself.
void validate(const DpdkConfig& cfg);

}  // namespace copylab

#include "dpdk/dpdk_config.hpp"

#include <fmt/format.h>

#include <bit>
#include <sstream>

#include "common/error.hpp"
#include "packet/payload_size.hpp"
#include "xdp/device.hpp"

namespace copylab {
namespace {

// The PMD's largest frame (drivers/net/af_xdp/rte_eth_af_xdp.c eth_dev_info: max_rx_pktlen is
// a page minus the mbuf and XDP headroom); copylab keeps to the MTU of a default veth.
constexpr std::size_t kMaxFrame = 1514;

}  // namespace

std::string DpdkConfig::vdev_arg() const {
  return fmt::format("net_af_xdp0,iface={},start_queue={},queue_count=1,busy_budget={}{}", dev,
                     queue, busy_budget(), force_copy ? ",force_copy=1" : "");
}

std::vector<std::string> DpdkConfig::eal_arg_list() const {
  std::vector<std::string> out;
  std::istringstream in(eal_args);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

void validate(const DpdkConfig& cfg) {
  if (cfg.wait != WaitPolicy::kSpin && cfg.wait != WaitPolicy::kBusyPoll) {
    throw Error(fmt::format("--wait {}: the DPDK datapath polls rte_eth_rx_burst", to_string(cfg.wait)),
                "use --wait spin or --wait busy-poll", kExitUsage);
  }
  if (!std::has_single_bit(cfg.ring_size) || cfg.ring_size < 64 || cfg.ring_size > 4096) {
    throw Error(fmt::format("--ring-size {} is not a power of two in 64..4096", cfg.ring_size),
                "use e.g. --ring-size 2048", kExitUsage);
  }
  // The PMD takes 2048 mbufs for its fill ring at queue setup (ETH_AF_XDP_DFLT_NUM_DESCS).
  if (cfg.mbufs < 2 * cfg.ring_size + 2048) {
    throw Error(fmt::format("--mbufs {} is too few for {} RX/TX descriptors and the PMD's 2048 "
                            "fill-ring buffers", cfg.mbufs, cfg.ring_size),
                fmt::format("use --mbufs {} or more", 2 * cfg.ring_size + 2048), kExitUsage);
  }
  if (frame_len(cfg.payload_size) > kMaxFrame) {
    throw Error(fmt::format("--size {} makes a {} B frame, over the {} B the DPDK path sends",
                            cfg.payload_size, frame_len(cfg.payload_size), kMaxFrame),
                fmt::format("use --size {} or less", kMaxFrame - kHeadersLen), kExitUsage);
  }
  for (const std::string& a : cfg.eal_arg_list()) {
    if (a.rfind("--vdev", 0) == 0 || a.rfind("--file-prefix", 0) == 0 || a.rfind("--log-level", 0) == 0) {
      throw Error("--eal-args " + a + ": copylab sets the vdev, file prefix and log level itself",
                  "leave " + a + " out (-vv shows the EAL's log)", kExitUsage);
    }
  }
  const DeviceInfo dev = query_device(cfg.dev);  // throws for a missing device
  if (dev.rx_queues != 0 && cfg.queue >= dev.rx_queues) {
    throw Error(fmt::format("{} has {} RX queue(s): no queue {}", cfg.dev, dev.rx_queues, cfg.queue),
                fmt::format("use --queue 0..{}", dev.rx_queues - 1), kExitUsage);
  }
  check_payload_fits(cfg.dev, cfg.payload_size);
}

}  // namespace copylab

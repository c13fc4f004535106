// Read-back of what the DPDK datapath got (mode) and what it, the PMD and the kernel counted.
#include <fmt/format.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_version.h>

#include <vector>

#include "common/bpf_prog_owner.hpp"
#include "dpdk/dpdk_datapath_impl.hpp"

namespace copylab::dpdk_detail {

nlohmann::json DpdkDatapath::mode() const {
  nlohmann::json j;
  j["datapath"] = "dpdk";
  j["pmd"] = "net_af_xdp";
  j["dpdk_version"] = rte_version();
  j["dev"] = cfg_.dev;
  j["ifindex"] = port_->device().ifindex;
  j["queue"] = cfg_.queue;
  j["rx"] = cfg_.rx;
  j["tx"] = cfg_.tx;
  j["port_id"] = port_->id();
  j["vdev"] = cfg_.vdev_arg();
  j["eal_argv"] = port_->eal().argv();
  j["file_prefix"] = port_->eal().file_prefix();
  // The PMD's own program (libxdp's default XSK program, which redirects the whole queue).
  j["xdp_attach"] = to_string(port_->xdp().mode);
  j["xdp_prog_id"] = port_->xdp().prog_id;
  j["xdp_prog_name"] = bpf_prog_name(port_->xdp().prog_id);
  j["bind"] = cfg_.force_copy ? "copy (force_copy)" : "the kernel's choice (copy on veth)";
  j["need_wakeup"] = true;  // the PMD always binds with XDP_USE_NEED_WAKEUP
  j["wait"] = to_string(cfg_.wait);
  j["busy_budget"] = cfg_.busy_budget();
  j["batch"] = cfg_.batch;
  j["rings"] = {{"rx", cfg_.ring_size}, {"tx", cfg_.ring_size}};
  j["mbufs"] = cfg_.mbufs;
  j["steered_udp_port"] = cfg_.flow_port();
  return j;
}

nlohmann::json DpdkDatapath::counters() const {
  nlohmann::json j;
  rte_eth_stats s{};
  if (rte_eth_stats_get(port_->id(), &s) == 0) {
    j["eth_stats"] = {{"ipackets", s.ipackets}, {"opackets", s.opackets}, {"ibytes", s.ibytes},
                      {"obytes", s.obytes},     {"imissed", s.imissed},   {"ierrors", s.ierrors},
                      {"oerrors", s.oerrors},   {"rx_nombuf", s.rx_nombuf}};
  }
  // The PMD's extended counters (XDP_STATISTICS of its XSK among them).
  const int n = rte_eth_xstats_get_names(port_->id(), nullptr, 0);
  if (n > 0) {
    std::vector<rte_eth_xstat_name> names(static_cast<std::size_t>(n));
    std::vector<rte_eth_xstat> values(static_cast<std::size_t>(n));
    if (rte_eth_xstats_get_names(port_->id(), names.data(), static_cast<unsigned>(n)) == n &&
        rte_eth_xstats_get(port_->id(), values.data(), static_cast<unsigned>(n)) == n) {
      nlohmann::json x = nlohmann::json::object();
      for (const rte_eth_xstat& v : values) x[names[v.id].name] = v.value;
      j["xstats"] = x;
    }
  }
  j["rx_frames"] = stats_.rx_frames;
  j["rx_bytes"] = stats_.rx_bytes;
  j["rx_foreign"] = stats_.rx_foreign;
  j["rx_parse_failures"] = stats_.rx_parse_failures;
  j["ip_csum_bad"] = stats_.ip_csum_bad;
  j["udp_csum_bad"] = stats_.udp_csum_bad;
  j["rx_bursts_empty"] = stats_.rx_bursts_empty;
  j["tx_frames"] = stats_.tx_frames;
  j["tx_bursts_short"] = stats_.tx_bursts_short;
  j["tx_alloc_failures"] = stats_.tx_alloc_failures;
  j["echoed"] = stats_.echoed;
  j["echo_dropped"] = stats_.echo_dropped;
  j["tx_pending"] = pending_.size();
  // The PMD's mbuf<->UMEM copies, from what the tool saw of its mbufs (see DatapathStats) and
  // whether the PMD reserved the copy mode's own UMEM memzone (af_xdp_umem_<iface>_<queue>).
  j["pmd_umem"] = {{"rx_kernel_offset", stats_.rx_kernel_offset},
                   {"rx_default_offset", stats_.rx_default_offset},
                   {"rx_last_data_off", stats_.rx_last_data_off},
                   {"default_headroom", RTE_PKTMBUF_HEADROOM},
                   {"tx_umem_pool", stats_.tx_umem_pool},
                   {"tx_other_pool", stats_.tx_other_pool},
                   {"copy_mode_memzone",
                    rte_memzone_lookup(fmt::format("af_xdp_umem_{}_{}", cfg_.dev, cfg_.queue).c_str()) != nullptr}};
  return j;
}

}  // namespace copylab::dpdk_detail

// The DPDK datapath's class, shared by its source files: the port's setup and teardown
// (dpdk_port.cpp), the frame-moving operations (dpdk_datapath.cpp), the read-back of mode and
// counters (dpdk_report.cpp). Only the dpdk/ sources include it (it needs DPDK's headers).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/run_registry.hpp"
#include "datapath/datapath.hpp"
#include "dpdk/dpdk_config.hpp"
#include "dpdk/eal_session.hpp"
#include "packet/frame.hpp"
#include "xdp/bpffs_mount.hpp"
#include "xdp/device.hpp"
#include "xdp/xdp_query.hpp"

namespace copylab::dpdk_detail {

struct DatapathStats {
  std::uint64_t rx_frames = 0;        // the experiment's frames handed on (corrupt ones too)
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_foreign = 0;       // other traffic the PMD's program redirected (ARP, IPv6...)
  std::uint64_t rx_parse_failures = 0;
  std::uint64_t ip_csum_bad = 0;
  std::uint64_t udp_csum_bad = 0;
  std::uint64_t rx_bursts_empty = 0;
  std::uint64_t tx_frames = 0;        // accepted by rte_eth_tx_burst
  std::uint64_t tx_bursts_short = 0;  // rte_eth_tx_burst took fewer than offered
  std::uint64_t tx_alloc_failures = 0;
  std::uint64_t echoed = 0;
  std::uint64_t echo_dropped = 0;     // reflected but refused by rte_eth_tx_burst
  // Where the PMD put each received frame: rte_pktmbuf_alloc leaves data_off at
  // RTE_PKTMBUF_HEADROOM, where af_xdp_rx_cp copies the frame (rte_memcpy); af_xdp_rx_zc hands
  // over the mbuf the kernel wrote into, data_off at the kernel's offset in the UMEM chunk
  // (drivers/net/af_xdp/rte_eth_af_xdp.c).
  std::uint64_t rx_kernel_offset = 0;   // data_off != RTE_PKTMBUF_HEADROOM
  std::uint64_t rx_default_offset = 0;  // data_off == RTE_PKTMBUF_HEADROOM
  std::uint64_t rx_last_data_off = 0;
  // Mbufs handed to rte_eth_tx_burst from the PMD's UMEM pool (af_xdp_tx_zc sends them by
  // descriptor) or from another pool (it copies them into one of its own).
  std::uint64_t tx_umem_pool = 0;
  std::uint64_t tx_other_pool = 0;
};

// The mbuf pool, the configured and started port, and this run's record of the PMD's XDP
// program. Destroyed in reverse: rte_eth_dev_stop and rte_eth_dev_close (the PMD deletes its
// XSK and detaches its program), the pool, then the EAL.
class DpdkPort {
 public:
  explicit DpdkPort(const DpdkConfig& cfg);
  ~DpdkPort();
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;

  std::uint16_t id() const noexcept { return port_; }
  rte_mempool* pool() const noexcept { return pool_; }
  const EalSession& eal() const noexcept { return *eal_; }
  const DeviceInfo& device() const noexcept { return dev_; }
  const XdpAttachment& xdp() const noexcept { return xdp_; }

 private:
  void close() noexcept;
  [[noreturn]] void fail(const std::string& call, int ret, const std::string& fix);

  DpdkConfig cfg_;
  DeviceInfo dev_;
  std::shared_ptr<BpffsMount> bpffs_;  // libxdp (inside the PMD) keeps its state there
  std::unique_ptr<EalSession> eal_;
  std::uint16_t port_ = 0;
  rte_mempool* pool_ = nullptr;
  bool configured_ = false;
  bool started_ = false;
  XdpAttachment xdp_;
  OwnedState record_;  // the PMD's XDP program, for the next run to detach if this one is killed
};

class DpdkDatapath final : public Datapath {
 public:
  explicit DpdkDatapath(const DpdkConfig& cfg);
  ~DpdkDatapath() override;

  std::string_view name() const override { return "dpdk"; }
  std::size_t send(std::size_t n, PayloadFill fill) override;
  std::size_t flush() override;
  std::size_t receive(std::size_t max, PayloadSink sink) override;
  bool wait_rx(std::chrono::milliseconds timeout) override;
  std::size_t echo(std::size_t max, PayloadSink seen) override;
  nlohmann::json mode() const override;
  nlohmann::json counters() const override;

 private:
  // Offers the queued frames to rte_eth_tx_burst; keeps what it refused, in order.
  void push_pending();
  // Fills stash_ from rte_eth_rx_burst when it is empty; returns how many it holds.
  std::size_t poll_rx(std::size_t max);
  void count_tx_pools(rte_mbuf* const* mbufs, std::size_t n);
  // The experiment's payload in `m`: nullopt for another flow (counted as foreign), an empty
  // span for a frame of the flow the kernel would drop.
  std::optional<std::span<std::uint8_t>> classify(rte_mbuf* m);
  void free_stash() noexcept;

  DpdkConfig cfg_;
  std::unique_ptr<DpdkPort> port_;
  std::vector<rte_mbuf*> pending_;  // built, not yet taken by rte_eth_tx_burst
  std::vector<rte_mbuf*> stash_;    // received, not yet handed on
  std::size_t stash_pos_ = 0;
  std::vector<rte_mbuf*> scratch_;
  std::uint16_t ip_id_ = 0;
  DatapathStats stats_;
};

}  // namespace copylab::dpdk_detail

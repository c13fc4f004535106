// The DPDK port's life: checks before the EAL starts, the EAL, the net_af_xdp port with its
// mbuf pool, and the teardown that leaves the device as it was.
#include <rte_build_config.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/bpf_prog_owner.hpp"
#include "common/error.hpp"
#include "dpdk/dpdk_datapath_impl.hpp"

namespace copylab::dpdk_detail {
namespace {

namespace fs = std::filesystem;

// The vdev's name: the driver's name and an index (one port per process).
constexpr const char* kPortName = "net_af_xdp0";

// The EAL loads every driver in RTE_EAL_PMD_PATH; Debian ships the AF_XDP one there in its own
// package, which a libdpdk-dev install does not pull in.
bool af_xdp_pmd_installed() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(RTE_EAL_PMD_PATH, ec)) {
    if (e.path().filename().string().rfind("librte_net_af_xdp.so", 0) == 0) return true;
  }
  return false;
}

}  // namespace

DpdkPort::DpdkPort(const DpdkConfig& cfg) : cfg_(cfg), dev_(query_device(cfg.dev)) {
  // A program already on the device: a killed copylab run's is detached (one line), anyone
  // else's is refused before anything of ours exists.
  const XdpAttachment before = query_xdp(dev_.ifindex, cfg_.dev);
  if (before.attached()) {
    claim_xdp_device(dev_.ifindex, cfg_.dev, before.prog_id,
                     "detach it (ip link set dev " + cfg_.dev + " xdp off) or use another device");
  }
  if (!af_xdp_pmd_installed()) {
    throw Error(fmt::format("DPDK's net_af_xdp PMD is not installed (no librte_net_af_xdp.so in {})",
                            RTE_EAL_PMD_PATH),
                "apt-get install librte-net-af-xdp23", kExitUnsupported);
  }
  reclaim_stale_eal_dirs();
  bpffs_ = BpffsMount::acquire();

  std::vector<std::string> args = cfg_.eal_arg_list();
  args.push_back("--vdev=" + cfg_.vdev_arg());
  eal_ = std::make_unique<EalSession>(args);

  if (rte_eth_dev_get_port_by_name(kPortName, &port_) != 0) {
    throw Error(fmt::format("DPDK created no port {} for {}: {}", kPortName, cfg_.dev,
                            eal_->last_log_line()),
                "apt-get install librte-net-af-xdp23; run with -vv for the EAL's log");
  }
  try {
    pool_ = rte_pktmbuf_pool_create("copylab_mbufs", cfg_.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                    static_cast<int>(rte_socket_id()));
    if (pool_ == nullptr) {
      fail("rte_pktmbuf_pool_create", -rte_errno,
           "fewer --mbufs, or more EAL memory (--eal-args '... -m 1024')");
    }
    rte_eth_conf conf{};
    int ret = rte_eth_dev_configure(port_, 1, 1, &conf);
    if (ret != 0) fail("rte_eth_dev_configure", ret, "run with -vv for the PMD's log");
    configured_ = true;

    // In the run's record before the PMD attaches its program; the id follows once it has one.
    const NetnsRef ns = current_netns_ref();
    nlohmann::json record{{"kind", "xdp"},          {"netns", ns.name}, {"netns_inode", ns.inode},
                          {"ifindex", dev_.ifindex}, {"dev", cfg_.dev},  {"prog_id", 0}};
    record_ = record_owned(record);
    const auto socket = static_cast<unsigned>(rte_eth_dev_socket_id(port_));
    const auto ring = static_cast<std::uint16_t>(cfg_.ring_size);
    ret = rte_eth_rx_queue_setup(port_, 0, ring, socket, nullptr, pool_);
    xdp_ = query_xdp(dev_.ifindex, cfg_.dev);
    record["prog_id"] = xdp_.prog_id;
    record_.update(record);
    if (ret != 0) {
      fail("rte_eth_rx_queue_setup (the PMD's XSK and XDP program)", ret,
           "check queue " + std::to_string(cfg_.queue) + " exists on " + cfg_.dev +
               " and no other XDP program or XSK holds it; -vv shows the PMD's log");
    }
    ret = rte_eth_tx_queue_setup(port_, 0, ring, socket, nullptr);
    if (ret != 0) fail("rte_eth_tx_queue_setup", ret, "run with -vv for the PMD's log");
    ret = rte_eth_dev_start(port_);
    if (ret != 0) fail("rte_eth_dev_start", ret, "run with -vv for the PMD's log");
    started_ = true;
  } catch (...) {
    close();
    throw;
  }
  spdlog::info("DPDK {} on {} queue {}: port {}, XDP program id {} ({}), busy_budget {}",
               kPortName, cfg_.dev, cfg_.queue, port_, xdp_.prog_id, to_string(xdp_.mode),
               cfg_.busy_budget());
}

void DpdkPort::fail(const std::string& call, int ret, const std::string& fix) {
  const std::string said = eal_->last_log_line();
  throw Error(fmt::format("{} on {} queue {}: {}{}", call, cfg_.dev, cfg_.queue,
                          rte_strerror(ret < 0 ? -ret : ret), said.empty() ? "" : " (" + said + ")"),
              fix);
}

void DpdkPort::close() noexcept {
  if (started_) rte_eth_dev_stop(port_);
  started_ = false;
  // Closing the port deletes the XSK and detaches the PMD's program (eth_dev_close in
  // drivers/net/af_xdp/rte_eth_af_xdp.c); the pool goes after the UMEM on it.
  if (eal_ && rte_eth_dev_is_valid_port(port_)) rte_eth_dev_close(port_);
  if (pool_ != nullptr) rte_mempool_free(pool_);
  pool_ = nullptr;
  if (xdp_.prog_id != 0) {
    try {
      const XdpAttachment now = query_xdp(dev_.ifindex, cfg_.dev);
      if (now.prog_id == xdp_.prog_id) {
        const int err = detach_xdp_prog(dev_.ifindex, xdp_.prog_id);
        if (err != 0) {
          spdlog::warn("the PMD's XDP program id {} stays on {}: {}", xdp_.prog_id, cfg_.dev,
                       errno_text(err));
          record_.leave();
          return;
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("{}", e.what());
    }
  }
  record_.forget();
}

DpdkPort::~DpdkPort() { close(); }

}  // namespace copylab::dpdk_detail

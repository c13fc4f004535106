// dpdk_sender: UDP frames built in mbufs and sent through DPDK's net_af_xdp PMD.
#include "cli/options_dpdk.hpp"
#include "cli/sender_tool.hpp"
#include "dpdk/dpdk_datapath.hpp"

int main(int argc, char** argv) {
  copylab::DpdkConfig cfg;
  cfg.rx = false;  // the PMD still binds an RX ring; received frames are dropped unread
  return copylab::sender_tool_main(
      argc, argv, "dpdk_sender",
      "Send UDP frames through DPDK's AF_XDP poll-mode driver (net_af_xdp, rte_eth_tx_burst)",
      {[&](CLI::App& app) { copylab::add_dpdk_options(app, cfg, /*sender=*/true); },
       [&](const copylab::TrafficConfig& traffic) {
         cfg.batch = traffic.batch;
         cfg.payload_size = traffic.payload_size;
         copylab::validate(cfg);
         return copylab::make_dpdk_datapath(cfg);
       },
       /*spins=*/{}});
}

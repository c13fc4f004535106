// dpdk_receiver: UDP frames received through DPDK's net_af_xdp PMD (rte_eth_rx_burst).
#include "cli/options_dpdk.hpp"
#include "cli/receiver_tool.hpp"
#include "dpdk/dpdk_datapath.hpp"

int main(int argc, char** argv) {
  copylab::DpdkConfig cfg;
  cfg.tx = false;
  return copylab::receiver_tool_main(
      argc, argv, "dpdk_receiver",
      "Receive UDP frames through DPDK's AF_XDP poll-mode driver (net_af_xdp): its XDP program "
      "redirects the whole queue; frames of other flows are counted and dropped",
      {[&](CLI::App& app) { copylab::add_dpdk_options(app, cfg, /*sender=*/false); },
       [&](const copylab::TrafficConfig& traffic) {
         cfg.batch = traffic.batch;
         cfg.payload_size = traffic.payload_size;
         copylab::validate(cfg);
         return copylab::make_dpdk_datapath(cfg);
       },
       /*spins=*/{}});  // unset: a poll-mode driver spins
}

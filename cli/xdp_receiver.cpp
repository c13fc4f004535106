// xdp_receiver: UDP frames steered by an XDP program into an AF_XDP socket's RX ring.
#include "cli/receiver_tool.hpp"
#include "xdp/af_xdp_datapath.hpp"
#include "cli/options_af_xdp.hpp"

int main(int argc, char** argv) {
  copylab::AfXdpConfig cfg;
  cfg.tx = false;
  return copylab::receiver_tool_main(
      argc, argv, "xdp_receiver",
      "Receive UDP frames through AF_XDP: an XDP program redirects the experiment's port into "
      "the XSK; everything else goes on to the kernel stack",
      {[&](CLI::App& app) { copylab::add_af_xdp_options(app, cfg, /*sender=*/false); },
       [&](const copylab::TrafficConfig& traffic) {
         cfg.batch = traffic.batch;
         cfg.payload_size = traffic.payload_size;
         copylab::validate(cfg, traffic.payload_size);
         return copylab::make_af_xdp_datapath(cfg);
       },
       [&] { return copylab::spins(cfg.wait); }});
}

// xdp_sender: UDP frames built in a UMEM and sent through an AF_XDP socket.
#include "cli/sender_tool.hpp"
#include "xdp/af_xdp_datapath.hpp"
#include "cli/options_af_xdp.hpp"

int main(int argc, char** argv) {
  copylab::AfXdpConfig cfg;
  cfg.rx = false;  // TX-only socket: no XDP program needed on the sending device
  return copylab::sender_tool_main(
      argc, argv, "xdp_sender", "Send UDP frames through an AF_XDP socket (shared UMEM, TX ring)",
      {[&](CLI::App& app) { copylab::add_af_xdp_options(app, cfg, /*sender=*/true); },
       [&](const copylab::TrafficConfig& traffic) {
         cfg.batch = traffic.batch;
         cfg.payload_size = traffic.payload_size;
         copylab::validate(cfg, traffic.payload_size);
         return copylab::make_af_xdp_datapath(cfg);
       },
       /*spins=*/{}});
}

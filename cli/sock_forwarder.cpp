// sock_forwarder: the middle box's socket relay (recvmmsg on --in-dev, sendmmsg out of
// --out-dev), the baseline the AF_XDP forwarder is measured against.
#include <map>

#include "cli/forwarder_tool.hpp"
#include "cli/option_checks.hpp"
#include "sock/socket_config.hpp"
#include "sock/udp_relay.hpp"

int main(int argc, char** argv) {
  using namespace copylab;
  UdpRelayConfig cfg;
  return forwarder_tool_main(
      argc, argv,
      {"sock_forwarder",
       "Relay UDP datagrams from --in-dev to --out-dev through user space: recvmmsg on "
       "--listen-ip:--listen-port, sendmmsg to --dst-ip:--dst-port, in batches",
       [&](CLI::App& app) {
         app.add_option("--in-dev", cfg.in_dev, "Ingress device (M's veth towards A)")->required();
         app.add_option("--out-dev", cfg.out_dev, "Egress device (M's veth towards B)")->required();
         app.add_option("--listen-ip", cfg.listen_ip, "Address on --in-dev to receive on (0.0.0.0: any)")
             ->capture_default_str();
         in_range<std::uint16_t>(app.add_option("--listen-port", cfg.listen_port, "UDP port to receive on"),
                                 1, 65535)
             ->capture_default_str();
         app.add_option("--dst-ip", cfg.dst_ip, "Where datagrams go (B's address, routed via --out-dev)")
             ->required();
         in_range<std::uint16_t>(app.add_option("--dst-port", cfg.dst_port, "Destination UDP port"), 1, 65535)
             ->capture_default_str();
         in_range<std::uint16_t>(app.add_option("--src-port", cfg.src_port,
                                                "UDP source port of the egress socket (0 = any)"),
                                 0, 65535)
             ->capture_default_str();
         in_range<unsigned>(app.add_option("--batch", cfg.batch, "Datagrams per recvmmsg/sendmmsg"), 1,
                            kMaxSocketBatch)
             ->capture_default_str();
         const std::map<std::string, WaitPolicy> waits{
             {"spin", WaitPolicy::kSpin}, {"poll", WaitPolicy::kPoll}, {"block", WaitPolicy::kBlock}};
         app.add_option("--wait", cfg.wait,
                        "How to wait for datagrams: spin (MSG_DONTWAIT), poll or block (poll(2))")
             ->transform(CLI::CheckedTransformer(waits, CLI::ignore_case))
             ->type_name("WAIT")
             ->default_str("poll");
         app.add_flag("--two-way", cfg.two_way,
                      "Relay both ways: datagrams to the egress socket (--src-port) go back out of "
                      "the ingress socket to --back-dst-ip:--back-dst-port");
         app.add_option("--back-dst-ip", cfg.back_dst_ip,
                        "With --two-way: where answers go (A's address, routed via --in-dev)");
         in_range<std::uint16_t>(app.add_option("--back-dst-port", cfg.back_dst_port,
                                                "With --two-way: their UDP destination port"),
                                 1, 65535)
             ->capture_default_str();
         in_range<int>(app.add_option("--rcvbuf", cfg.rcvbuf,
                                      "Receive buffer bytes of the ingress socket (SO_RCVBUFFORCE; 0 = default)"),
                       0, kMaxSockBuf)
             ->capture_default_str();
       },
       [&] { return spins(cfg.wait); },
       [&] { return make_udp_relay(cfg); }});
}

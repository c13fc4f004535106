// xdp_forwarder: the middle box's AF_XDP forwarder. Frames steered into a socket on --in-dev
// leave through a second socket on --out-dev that shares its UMEM (XDP_SHARED_UMEM); only their
// Ethernet addresses are rewritten, in place. With --two-way frames also go back, out-dev -> in-dev.
#include <cstdlib>
#include <map>

#include "cli/forwarder_tool.hpp"
#include "cli/option_checks.hpp"
#include "cli/options_xdp_mode.hpp"
#include "xdp/xsk_forwarder.hpp"

int main(int argc, char** argv) {
  using namespace copylab;
  XskForwarderConfig cfg;
  return forwarder_tool_main(
      argc, argv,
      {"xdp_forwarder",
       "Forward UDP frames from --in-dev to --out-dev through one shared UMEM: the steering "
       "program redirects the experiment's port into an AF_XDP socket on --in-dev, and each RX "
       "descriptor goes onto the TX ring of a socket on --out-dev bound with XDP_SHARED_UMEM",
       [&](CLI::App& app) {
         app.add_option("--in-dev", cfg.in_dev, "Ingress device (M's veth towards A)")->required();
         app.add_option("--out-dev", cfg.out_dev, "Egress device (M's veth towards B)")->required();
         in_range<std::uint32_t>(app.add_option("--queue", cfg.queue, "Queue on both devices (veth: only 0)"),
                                 0, 4095)
             ->capture_default_str();
         add_xdp_mode_option(app, "--mode", cfg.mode,
                             "XDP attach mode of the steering program on --in-dev: native (drv), "
                             "generic (skb), or auto (native, then generic)");
         app.add_option_function<std::string>(
                "--dst-mac", [&cfg](const std::string& s) { cfg.dst_mac = parse_mac(s, "--dst-mac"); },
                "Destination MAC written into each frame (the next hop behind --out-dev: B's MAC)")
             ->required();
         app.add_option_function<std::string>(
             "--src-mac", [&cfg](const std::string& s) { cfg.src_mac = parse_mac(s, "--src-mac"); },
             "Source MAC written into each frame (default: --out-dev's own)");
         in_range<std::uint16_t>(app.add_option("--dst-port", cfg.steer_port,
                                                "UDP destination port the steering program redirects"),
                                 1, 65535)
             ->capture_default_str();
         in_range<std::size_t>(app.add_option("--batch", cfg.batch, "Descriptors per ring operation"),
                               1, 16384)
             ->capture_default_str();
         in_range<std::uint32_t>(app.add_option("--frame-size", cfg.frame_size, "UMEM frame size (2048 or 4096)"),
                                 1, 65536)
             ->capture_default_str();
         in_range<std::uint32_t>(app.add_option("--frame-count", cfg.frame_count, "UMEM frames (power of two)"),
                                 1, 1U << 24)
             ->capture_default_str();
         in_range<std::uint32_t>(app.add_option("--ring-size", cfg.ring_size,
                                                "RX ring (--in-dev) and TX ring (--out-dev) entries; fill "
                                                "and completion rings get twice this"),
                                 1, 1U << 20)
             ->capture_default_str();
         app.add_flag("--need-wakeup,!--no-need-wakeup", cfg.need_wakeup,
                      "Use XDP_USE_NEED_WAKEUP (kick only when the kernel asks)")
             ->default_str("on");
         const std::map<std::string, WaitPolicy> waits{{"spin", WaitPolicy::kSpin},
                                                       {"poll", WaitPolicy::kPoll}};
         app.add_option("--wait", cfg.wait, "How to wait for frames: spin (poll the ring) or poll (poll(2))")
             ->transform(CLI::CheckedTransformer(waits, CLI::ignore_case))
             ->type_name("WAIT")
             ->default_str("spin");
         app.add_flag("--two-way", cfg.two_way,
                      "Forward both ways: frames to --back-dst-port arriving on --out-dev leave "
                      "through --in-dev too (a second steering program on --out-dev)");
         in_range<std::uint16_t>(app.add_option("--back-dst-port", cfg.back_steer_port,
                                                "UDP destination port steered on --out-dev with "
                                                "--two-way (0 = --dst-port)"),
                                 0, 65535)
             ->capture_default_str();
         app.add_option_function<std::string>(
             "--back-dst-mac",
             [&cfg](const std::string& s) { cfg.back_dst_mac = parse_mac(s, "--back-dst-mac"); },
             "With --two-way: destination MAC of frames going back (the next hop behind --in-dev: "
             "A's MAC)");
         app.add_option_function<std::string>(
             "--back-src-mac",
             [&cfg](const std::string& s) { cfg.back_src_mac = parse_mac(s, "--back-src-mac"); },
             "With --two-way: source MAC of frames going back (default: --in-dev's own)");
         app.add_flag("--force-replace", cfg.force_replace,
                      "Replace an XDP program someone else attached to --in-dev (it is not restored)");
         cfg.offer_force_replace = std::getenv("COPYLAB_PARENT") == nullptr;
       },
       [&] { return spins(cfg.wait); },
       [&] { return make_xsk_forwarder(cfg); }});
}

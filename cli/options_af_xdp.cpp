#include "cli/options_af_xdp.hpp"

#include <cstdlib>
#include <map>
#include <string>

#include "cli/option_checks.hpp"
#include "common/error.hpp"
#include "cli/options_xdp_mode.hpp"

namespace copylab {
namespace {

// CLI11 check that runs a copylab parser and reports its one-line error (exit code 2 via
// run_main), so a malformed address never reaches the datapath.
template <typename Parse>
CLI::Validator parsed_by(Parse parse, std::string name) {
  return CLI::Validator(
      [parse](std::string& text) -> std::string {
        try {
          parse(text);
          return {};
        } catch (const Error& e) {
          // CLI11 prefixes the option name and run_main adds its own "Fix:", so hand back
          // "<problem>; <fix>" without the repeated name.
          std::string what = e.what();
          if (const auto colon = what.find(": "); colon != std::string::npos && what.rfind("--", 0) == 0) {
            what.erase(0, colon + 2);
          }
          return e.fix().empty() ? what : what + "; " + e.fix();
        }
      },
      "", std::move(name));
}

}  // namespace

void add_frame_options(CLI::App& app, FrameSpec& f, bool sender, const std::string& datapath,
                       const std::string& receiver_port_help) {
  auto mac_option = [&app](const char* name, MacAddr& target, const std::string& help) {
    app.add_option_function<std::string>(
           name, [&target, name](const std::string& s) { target = parse_mac(s, name); }, help)
        ->check(parsed_by([name](const std::string& s) { parse_mac(s, name); }, "MAC"))
        ->default_str(target.str());
  };
  auto ip_option = [&app](const char* name, Ipv4Addr& target, const char* help) {
    app.add_option_function<std::string>(
           name, [&target, name](const std::string& s) { target = parse_ipv4(s, name); }, help)
        ->check(parsed_by([name](const std::string& s) { parse_ipv4(s, name); }, "IPv4"))
        ->default_str(target.str());
  };
  if (sender) {
    mac_option("--src-mac", f.src_mac, "Source MAC (the sending veth's)");
    mac_option("--dst-mac", f.dst_mac, "Destination MAC (the peer veth's; no ARP on " + datapath + ")");
    ip_option("--src-ip", f.src_ip, "Source IPv4 address");
    ip_option("--dst-ip", f.dst_ip, "Destination IPv4 address");
    in_range<std::uint16_t>(app.add_option("--src-port", f.src_port, "UDP source port"), 1, 65535)
        ->capture_default_str();
  }
  in_range<std::uint16_t>(
      app.add_option("--dst-port", f.dst_port, sender ? std::string("UDP destination port") : receiver_port_help),
      1, 65535)
      ->capture_default_str();
}

void add_af_xdp_options(CLI::App& app, AfXdpConfig& cfg, bool sender) {
  app.add_option("--dev", cfg.dev, "Network device (a veth) to bind; looked up in this namespace")
      ->required();
  in_range<std::uint32_t>(app.add_option("--queue", cfg.queue, "RX/TX queue to bind (veth: only 0)"), 0, 4095)
      ->capture_default_str();

  if (!sender) {
    add_xdp_mode_option(app, "--mode", cfg.mode,
                        "XDP attach mode of the steering program: native (drv), generic (skb), or "
                        "auto (native, then generic)");
  } else {
    // The sender is TX-only and attaches nothing; accepted so both ends share a command line.
    add_xdp_mode_option(app, "--mode", cfg.mode,
                        "Accepted for symmetry (native|drv|generic|skb|auto); a TX-only sender "
                        "attaches no XDP program");
  }
  auto* copy = app.add_flag_callback("--copy", [&cfg] { cfg.zero_copy = false; },
                                     "Bind in copy mode (XDP_COPY; the default, and veth's only mode)");
  auto* zc = app.add_flag_callback("--zero-copy", [&cfg] { cfg.zero_copy = true; },
                                   "Bind zero-copy (XDP_ZEROCOPY); fails clearly where the driver lacks it");
  copy->excludes(zc);
  zc->excludes(copy);
  app.add_flag("--need-wakeup,!--no-need-wakeup", cfg.need_wakeup,
               "Use XDP_USE_NEED_WAKEUP (kick only when the kernel asks)")
      ->default_str(cfg.need_wakeup ? "on" : "off");
  if (CLI::Option* existing = app.get_option_no_throw("--batch")) {
    existing->each([&cfg](const std::string& v) { cfg.batch = std::stoul(v); });
  } else {
    in_range<std::size_t>(app.add_option("--batch", cfg.batch, "Descriptors per ring operation / TX kick"),
                          1, 16384)
        ->capture_default_str();
  }
  in_range<std::uint32_t>(
      app.add_option("--frame-size", cfg.frame_size, "UMEM frame size (power of two: 2048 or 4096)"),
      1, 65536)
      ->capture_default_str();
  in_range<std::uint32_t>(app.add_option("--frame-count", cfg.frame_count, "UMEM frames (power of two)"),
                          1, 1U << 24)
      ->capture_default_str();
  in_range<std::uint32_t>(
      app.add_option("--ring-size", cfg.ring_size,
                     "RX/TX ring entries (power of two); fill and completion rings get twice this"),
      1, 1U << 20)
      ->capture_default_str();
  app.add_flag("--huge-pages", cfg.huge_pages,
               "Put the UMEM on 2 MiB huge pages (falls back to normal pages, and says so)");
  const std::map<std::string, WaitPolicy> waits{
      {"spin", WaitPolicy::kSpin}, {"poll", WaitPolicy::kPoll}, {"busy-poll", WaitPolicy::kBusyPoll}};
  app.add_option("--wait", cfg.wait,
                 "How to wait for frames: spin (poll the ring), poll (poll(2)), busy-poll "
                 "(SO_BUSY_POLL + SO_PREFER_BUSY_POLL, then spin on recvfrom)")
      ->transform(CLI::CheckedTransformer(waits, CLI::ignore_case))
      ->type_name("WAIT")
      ->default_str("spin");
  in_range<std::uint32_t>(
      app.add_option("--busy-poll-usec", cfg.busy_poll_usec, "SO_BUSY_POLL microseconds (--wait busy-poll)"),
      0, 1'000'000)
      ->capture_default_str();
  in_range<std::uint32_t>(app.add_option("--busy-poll-budget", cfg.busy_poll_budget,
                                         "SO_BUSY_POLL_BUDGET packets per busy poll (--wait busy-poll)"),
                          1, 65535)
      ->capture_default_str();
  app.add_flag("--force-replace", cfg.force_replace,
               "Replace an XDP program someone else attached to --dev (it is not restored)");
  // Started by `copylab compare` (ChildProcess sets COPYLAB_PARENT): its user has no such flag.
  cfg.offer_force_replace = std::getenv("COPYLAB_PARENT") == nullptr;

  add_frame_options(app, cfg.frame, sender, "AF_XDP",
                    "UDP destination port the steering program redirects to this socket (all "
                    "other traffic goes to the kernel stack)");
}

}  // namespace copylab

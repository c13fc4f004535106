#include "cli/options_socket.hpp"

#include <cctype>
#include <map>
#include <string>

#include "cli/option_checks.hpp"
#include "netns/topology_defaults.hpp"

namespace copylab {

void add_socket_options(CLI::App& app, SocketConfig& cfg, bool sender) {
  cfg.role = sender ? SocketRole::kSender : SocketRole::kReceiver;
  if (cfg.dev.empty()) cfg.dev = sender ? topology_defaults::kDevA : topology_defaults::kDevB;
  if (!sender && cfg.rcvbuf == 0) cfg.rcvbuf = kDefaultReceiverRcvbuf;

  app.add_option("--dev", cfg.dev,
                 "Device the socket is bound to (SO_BINDTODEVICE): traffic only leaves/enters "
                 "through it")
      ->capture_default_str();
  app.add_option("--src-ip", cfg.src_ip,
                 sender ? "Address to send from (0.0.0.0: any address of --dev)"
                        : "Sender's address (used with --connect)")
      ->capture_default_str();
  app.add_option("--dst-ip", cfg.dst_ip,
                 sender ? "Destination address (the receiver, reachable through --dev)"
                        : "Address to receive on (0.0.0.0: any address of --dev)")
      ->capture_default_str();
  in_range<std::uint16_t>(app.add_option("--src-port", cfg.src_port, "UDP source port (0: any free port)"),
                          0, 65535)
      ->capture_default_str();
  in_range<std::uint16_t>(app.add_option("--dst-port", cfg.dst_port, "UDP destination port"), 1, 65535)
      ->capture_default_str();
  app.add_flag("--connect", cfg.connect,
               sender ? "connect() to the destination (send() without a per-call route lookup)"
                      : "connect() to --src-ip:--src-port (accept only that sender)");
  // The shared traffic options may already own --batch (frames per datapath call); then the
  // caller copies that value into cfg.batch and the socket must not register it twice.
  if (app.get_option_no_throw("--batch") == nullptr) {
    in_range(app.add_option("--batch", cfg.batch,
                            "Datagrams per sendmmsg/recvmmsg call; 1 = plain sendto/recvfrom (one copy per "
                            "syscall)"),
             1U, kMaxSocketBatch)
        ->capture_default_str();
  }
  const std::map<std::string, WaitPolicy> waits{{"block", WaitPolicy::kBlock},
                                                {"spin", WaitPolicy::kSpin},
                                                {"poll", WaitPolicy::kPoll},
                                                {"busy-poll", WaitPolicy::kBusyPoll}};
  app.add_option("--wait", cfg.wait,
                 "How to wait for data: block (blocking recv), spin (MSG_DONTWAIT polling), poll "
                 "(poll(2)), busy-poll (SO_BUSY_POLL + SO_PREFER_BUSY_POLL, then spin)")
      ->transform(CLI::Validator(
          [waits](std::string& in) -> std::string {
            std::string key = in;
            for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto it = waits.find(key);
            if (it == waits.end()) return "'" + in + "' is not one of block|spin|poll|busy-poll";
            in = std::to_string(static_cast<int>(it->second));
            return {};
          },
          "", "wait policy"))
      ->type_name("block|spin|poll|busy-poll")
      ->default_str(socket_wait_name(cfg.wait));
  in_range(app.add_option("--busy-poll-usec", cfg.busy_poll_usec, "SO_BUSY_POLL microseconds (--wait busy-poll)"),
           0, 1000000)
      ->capture_default_str();
  in_range(app.add_option("--busy-poll-budget", cfg.busy_poll_budget,
                          "SO_BUSY_POLL_BUDGET packets per busy poll (--wait busy-poll)"),
           1, 65535)
      ->capture_default_str();
  in_range(app.add_option("--rcvbuf", cfg.rcvbuf,
                          "Receive buffer bytes requested (SO_RCVBUFFORCE; 0 = kernel default). The kernel "
                          "doubles it; the granted size is reported"),
           0, kMaxSockBuf)
      ->capture_default_str();
  in_range(app.add_option("--sndbuf", cfg.sndbuf, "Send buffer bytes requested (SO_SNDBUFFORCE; 0 = kernel default)"),
           0, kMaxSockBuf)
      ->capture_default_str();
  app.add_flag("--show-addresses", cfg.show_addresses,
               "Log the user buffer's virtual address before and after the syscall for the first "
               "datagrams, and put them in the JSON");
}

}  // namespace copylab

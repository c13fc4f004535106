#include "sock/socket_config.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cctype>
#include <cstring>
#include <map>

#include "common/cli_checks.hpp"
#include "common/error.hpp"
#include "common/link_state.hpp"
#include "packet/frame.hpp"
#include "packet/payload.hpp"
#include "sock/udp_socket.hpp"

namespace copylab {
namespace {

constexpr int kDefaultReceiverRcvbuf = 4 << 20;
constexpr int kMaxSockBuf = 1 << 30;

int device_mtu(const std::string& dev) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw_errno("socket", "MTU query", errno);
  ifreq req{};
  std::strncpy(req.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFMTU, &req) != 0) throw_errno("ioctl(SIOCGIFMTU)", dev, errno);
  return req.ifr_mtu;
}

}  // namespace

const char* socket_wait_name(WaitPolicy w) noexcept {
  switch (w) {
    case WaitPolicy::kBlock: return "block";
    case WaitPolicy::kSpin: return "spin";
    case WaitPolicy::kPoll: return "poll";
    case WaitPolicy::kBusyPoll: return "busy-poll";
  }
  return "?";
}

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

void validate(const SocketConfig& cfg, std::size_t payload_len) {
  if (cfg.dev.empty()) throw Error("--dev is empty", "name the experiment's veth, e.g. --dev veth1", kExitUsage);
  if (cfg.dev.size() >= IFNAMSIZ) {
    throw Error("--dev '" + cfg.dev + "' is longer than " + std::to_string(IFNAMSIZ - 1) + " characters",
                "pass an existing interface name (ip link)", kExitUsage);
  }
  if (if_nametoindex(cfg.dev.c_str()) == 0) {
    throw Error("no device '" + cfg.dev + "' in " + netns_label(),
                "pass the experiment's veth with --dev (see ip link), or run in its namespace "
                "(--netns / ip netns exec)",
                kExitUsage);
  }
  require_link_up(cfg.dev, "");
  const SocketEndpoints ep = socket_endpoints(cfg);  // parses both addresses
  if (cfg.batch < 1 || cfg.batch > kMaxSocketBatch) {
    throw Error("--batch " + std::to_string(cfg.batch) + " is out of range",
                "use 1.." + std::to_string(kMaxSocketBatch), kExitUsage);
  }
  if (cfg.rcvbuf < 0 || cfg.sndbuf < 0 || cfg.rcvbuf > kMaxSockBuf || cfg.sndbuf > kMaxSockBuf) {
    throw Error("--rcvbuf/--sndbuf out of range", "use 0 (kernel default) .. 1 GiB", kExitUsage);
  }
  if (cfg.wait == WaitPolicy::kBusyPoll && (cfg.busy_poll_usec < 0 || cfg.busy_poll_budget < 1)) {
    throw Error("--busy-poll-usec must be >= 0 and --busy-poll-budget >= 1", "see --help", kExitUsage);
  }
  if (payload_len < kMinPayloadLen) {
    throw Error("--size " + std::to_string(payload_len) + " is smaller than the " +
                    std::to_string(kMinPayloadLen) + "-byte payload header",
                "use --size " + std::to_string(kMinPayloadLen) + " or more", kExitUsage);
  }
  const int mtu = device_mtu(cfg.dev);
  const std::size_t max_payload =
      mtu > static_cast<int>(kIpv4HeaderLen + kUdpHeaderLen)
          ? static_cast<std::size_t>(mtu) - kIpv4HeaderLen - kUdpHeaderLen
          : 0;
  if (payload_len > max_payload) {
    throw Error("--size " + std::to_string(payload_len) + " does not fit " + cfg.dev + "'s MTU " +
                    std::to_string(mtu) + " (at most " + std::to_string(max_payload) +
                    " payload bytes: MTU - 20 IPv4 - 8 UDP; no fragmentation)",
                "use --size " + std::to_string(max_payload) + " or less, or raise the MTU", kExitUsage);
  }
  const bool needs_route = cfg.role == SocketRole::kSender || cfg.connect;
  if (needs_route) check_reachable_through_device(cfg.dev, ep.remote);
  // The port probe: the same bind the datapath will do, so "port in use" shows up here.
  (void)open_udp_socket(cfg, ep);
}

}  // namespace copylab

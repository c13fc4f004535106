#include "sock/socket_config.hpp"

#include <net/if.h>
#include <sys/socket.h>

#include "common/error.hpp"
#include "common/link_state.hpp"
#include "packet/payload_size.hpp"
#include "sock/udp_socket.hpp"

namespace copylab {

const char* socket_wait_name(WaitPolicy w) noexcept { return to_string(w); }

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
  check_payload_fits(cfg.dev, payload_len);
  const bool needs_route = cfg.role == SocketRole::kSender || cfg.connect;
  if (needs_route) check_reachable_through_device(cfg.dev, ep.remote);
  // The port probe: the same bind the datapath will do, so "port in use" shows up here.
  (void)open_udp_socket(cfg, ep);
}

}  // namespace copylab

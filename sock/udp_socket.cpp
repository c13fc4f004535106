#include "sock/udp_socket.hpp"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/error.hpp"
#include "netns/netns_scope.hpp"
#include "sock/route.hpp"

namespace copylab {

UniqueFd::UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

namespace {

sockaddr_in make_addr(const std::string& ip, std::uint16_t port, std::string_view flag) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = parse_ipv4(ip, flag).be;
  return a;
}

const sockaddr* as_sockaddr(const sockaddr_in& a) { return reinterpret_cast<const sockaddr*>(&a); }

void bind_to_device(int fd, const std::string& dev) {
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(), static_cast<socklen_t>(dev.size())) != 0) {
    const int err = errno;
    if (err == EPERM) {
      throw Error("setsockopt(SO_BINDTODEVICE, " + dev + ") needs CAP_NET_RAW",
                  "run it as root (sudo ...)");
    }
    if (err == ENODEV) {
      throw Error("no device '" + dev + "' in " + netns_label(),
                  "pass the experiment's veth with --dev (see ip link), or enter its namespace",
                  kExitUsage);
    }
    throw_errno("setsockopt(SO_BINDTODEVICE)", dev, err);
  }
}

}  // namespace

SocketEndpoints socket_endpoints(const SocketConfig& cfg) {
  const sockaddr_in src = make_addr(cfg.src_ip, cfg.src_port, "--src-ip");
  const sockaddr_in dst = make_addr(cfg.dst_ip, cfg.dst_port, "--dst-ip");
  if (cfg.role == SocketRole::kSender) return {src, dst};
  return {dst, src};
}

std::string endpoint_str(const sockaddr_in& addr) {
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

std::string netns_label() {
  const std::string name = current_netns_name();
  return name.empty() ? std::string("the current network namespace") : "namespace " + name;
}

UniqueFd open_udp_socket(const SocketConfig& cfg, const SocketEndpoints& ep) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
  if (fd.get() < 0) throw_errno("socket(AF_INET, SOCK_DGRAM)", "", errno);
  bind_to_device(fd.get(), cfg.dev);

  const bool sender = cfg.role == SocketRole::kSender;
  if (bind(fd.get(), as_sockaddr(ep.local), sizeof(ep.local)) != 0) {
    const int err = errno;
    const std::string port = std::to_string(ntohs(ep.local.sin_port));
    const std::string ip_flag = sender ? "--src-ip" : "--dst-ip";
    if (err == EADDRINUSE) {
      throw Error("port " + port + " already in use in " + netns_label(),
                  sender ? "pick --src-port (0 = any free port) or stop the other sender"
                         : "pick --dst-port or stop the other receiver",
                  kExitUsage);
    }
    if (err == EADDRNOTAVAIL) {
      throw Error(endpoint_str(ep.local) + " is not an address of " + netns_label(),
                  "pass the address of --dev " + cfg.dev + " with " + ip_flag +
                      " (ip -4 addr show dev " + cfg.dev + ") or 0.0.0.0",
                  kExitUsage);
    }
    if (err == EACCES) {
      throw Error("binding port " + port + " needs CAP_NET_BIND_SERVICE", "run it as root or use a port >= 1024");
    }
    throw_errno("bind", endpoint_str(ep.local), err);
  }
  if (cfg.connect && connect(fd.get(), as_sockaddr(ep.remote), sizeof(ep.remote)) != 0) {
    const int err = errno;
    throw_errno("connect", endpoint_str(ep.remote) + " via " + cfg.dev, err,
                "check that the peer address is on the veth's subnet (netns/setup.sh)");
  }
  return fd;
}

void check_reachable_through_device(const std::string& dev, const sockaddr_in& dst) {
  Ipv4Addr addr;
  addr.be = dst.sin_addr.s_addr;
  if (addr.be == htonl(INADDR_ANY)) {
    throw Error("destination 0.0.0.0 is not an address", "pass the peer's address with --dst-ip",
                kExitUsage);
  }
  const std::string fix = "pick a --dst-ip on " + dev + "'s subnet (ip -4 addr show dev " + dev +
                          "; ip route), or the --dev that leads to it";
  const RouteInfo route = route_get(addr);
  if (!route.found) {
    throw Error("destination " + addr.str() + " is not reachable through " + dev + " in " +
                    netns_label() + ": no route (" + errno_text(route.error) + ")",
                fix, kExitUsage);
  }
  if (route.type == RTN_LOCAL) {
    throw Error("destination " + addr.str() + " is an address of " + netns_label() +
                    ": the datagrams would not cross " + dev,
                "send to the peer namespace's address (e.g. --dst-ip 10.0.0.2 from ns1)", kExitUsage);
  }
  const unsigned want = if_nametoindex(dev.c_str());
  if (route.type != RTN_UNICAST || route.oif <= 0 || static_cast<unsigned>(route.oif) != want) {
    char other[IF_NAMESIZE] = {};
    const bool named = route.oif > 0 && if_indextoname(static_cast<unsigned>(route.oif), other) != nullptr;
    throw Error("destination " + addr.str() + " is not reachable through " + dev + " in " +
                    netns_label() + ": the kernel routes it " +
                    (named ? "through " + std::string(other)
                           : "as route type " + std::to_string(route.type)),
                fix, kExitUsage);
  }
}

}  // namespace copylab

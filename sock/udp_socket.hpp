// The UDP socket the socket datapath and its validation share: bound to the experiment's device
// (SO_BINDTODEVICE, so traffic can only leave through the veth), bound to the local address and
// port, optionally connected, with every failure explained in one line.
#pragma once

#include <netinet/in.h>

#include <string>

#include "packet/addr.hpp"
#include "sock/socket_config.hpp"

namespace copylab {

// Owns a file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept;
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

struct SocketEndpoints {
  sockaddr_in local{};
  sockaddr_in remote{};  // the sender's destination, or (receiver) the peer for --connect
};

// Parses the config's addresses (Error kExitUsage naming the flag) and picks local/remote by role.
SocketEndpoints socket_endpoints(const SocketConfig& cfg);

std::string endpoint_str(const sockaddr_in& addr);
// "namespace ns1" or "the current network namespace", for messages.
std::string netns_label();

// socket() + SO_BINDTODEVICE(cfg.dev) + bind(local) [+ connect(remote) if cfg.connect].
// Errors: EADDRINUSE → "port N already in use in namespace X: pick --dst-port/--src-port or stop
// the other receiver/sender"; EADDRNOTAVAIL → the address is not in this namespace; EPERM on
// SO_BINDTODEVICE → needs CAP_NET_RAW.
UniqueFd open_udp_socket(const SocketConfig& cfg, const SocketEndpoints& ep);

// The route check (`ip route get` semantics via rtnetlink): the kernel must route `dst` as unicast
// through `dev`. Refuses no route, another device, and an address of this namespace (the
// datagrams would never cross the veth).
void check_reachable_through_device(const std::string& dev, const sockaddr_in& dst);

}  // namespace copylab

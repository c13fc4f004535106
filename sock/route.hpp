// `ip route get <dst>` as a function (rtnetlink RTM_GETROUTE in the calling thread's namespace):
// which device and which kind of route the kernel would use for a destination. A socket bound
// with SO_BINDTODEVICE cannot answer this: with an output device set, the kernel treats any
// unrouted destination as on-link and connect() succeeds.
#pragma once

#include <cstdint>
#include <string>

#include "packet/addr.hpp"

namespace copylab {

struct RouteInfo {
  bool found = false;
  int error = 0;             // positive errno when not found (ENETUNREACH, EHOSTUNREACH, ...)
  unsigned char type = 0;    // RTN_UNICAST, RTN_LOCAL, ...
  int oif = 0;               // output interface index
  std::uint32_t gateway_be = 0;
  std::uint32_t prefsrc_be = 0;
};

RouteInfo route_get(Ipv4Addr dst);

}  // namespace copylab

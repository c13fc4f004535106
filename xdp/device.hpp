// What copylab needs to know about a network device before it touches it, looked up in the
// calling thread's network namespace: ifindex, MTU, MAC address, and how many RX queues are really usable.
#pragma once

#include <string>
#include <string_view>

#include "packet/addr.hpp"

namespace copylab {

struct DeviceInfo {
  std::string name;
  int ifindex = 0;
  unsigned mtu = 0;
  MacAddr mac;             // SIOCGIFHWADDR
  unsigned rx_queues = 0;  // from ETHTOOL_GCHANNELS (rx + combined); 0 when the driver won't say
  std::string driver;      // from ETHTOOL_GDRVINFO ("veth", "virtio_net"...); "" when unknown
};

// Throws Error(kExitUsage) "no interface X in this network namespace" naming `ip link` as the fix.
int ifindex_of(std::string_view dev);
DeviceInfo query_device(std::string_view dev);

}  // namespace copylab

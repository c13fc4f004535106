// Reads back the addresses of a device someone else set up (`--netns A,B --dev X,Y` reuse), so
// frames and sockets use the topology's real MACs and IPv4 addresses, not setup.sh's defaults.
#pragma once

#include <string>

#include "netns/topology.hpp"
#include "packet/addr.hpp"

namespace copylab {

// The MAC and first IPv4 address of `dev` inside `ns` (`ip -j addr show`). Throws
// Error(kExitUsage) naming the device and namespace when it is missing or has no IPv4 address.
void discover_addresses(const std::string& ns, const std::string& dev, MacAddr& mac, Ipv4Addr& ip);

// Fills mac_a/ip_a and mac_b/ip_b of `cfg` from (ns_a, dev_a) and (ns_b, dev_b).
void discover_topology_addresses(TopologyConfig& cfg);

}  // namespace copylab

// The experiment topology's defaults in one place: what netns/setup.sh builds when given no
// options (see its --help), the UDP ports the traffic uses on it, and the prefix of the names
// copylab gives the topologies it makes for itself. (packet/, below netns/, keeps its own copy in
// standard_frame_spec(): the same addresses and ports.)
#pragma once

#include <cstdint>

namespace copylab::topology_defaults {

// Side A (the sender, the pinger) and side B (the receiver, the ponger).
inline constexpr const char* kNsA = "ns1";
inline constexpr const char* kNsB = "ns2";
inline constexpr const char* kDevA = "veth1";
inline constexpr const char* kDevB = "veth2";
inline constexpr const char* kMacA = "00:00:00:00:00:01";
inline constexpr const char* kMacB = "00:00:00:00:00:02";
inline constexpr const char* kIpA = "10.0.0.1";
inline constexpr const char* kIpB = "10.0.0.2";
inline constexpr int kPrefixLen = 24;
// The middle box M of the three-namespace topology A -> M -> B: its ingress device (dev A's peer)
// and egress device (dev B's peer), each with a /32 address in A and B's subnet.
inline constexpr const char* kDevMa = "vethma";
inline constexpr const char* kDevMb = "vethmb";
inline constexpr const char* kMacMa = "00:00:00:00:00:03";
inline constexpr const char* kMacMb = "00:00:00:00:00:04";
inline constexpr const char* kIpMa = "10.0.0.3";
inline constexpr const char* kIpMb = "10.0.0.4";
// The veth MTU setup.sh leaves in place (the kernel's default for a new veth, ether_setup()).
inline constexpr unsigned kMtu = 1500;

// UDP: the sender's (and the pinger's) source port, and the receiver's (and the ponger's) port.
inline constexpr std::uint16_t kSrcPort = 9000;
inline constexpr std::uint16_t kDstPort = 9999;

// Topologies copylab makes for itself are named "cl-<tag>-<pid>-<n>a"/"...b" (unique_topology_config).
inline constexpr const char* kUniqueNsPrefix = "cl-";

}  // namespace copylab::topology_defaults

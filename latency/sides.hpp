// Builds the Datapath for one side of a ping-pong from its SideSpec, using the socket (sock/) and
// AF_XDP (xdp/) datapaths. Call it on the side's own thread, inside the side's namespace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "datapath/datapath.hpp"
#include "latency/modes.hpp"
#include "netns/topology.hpp"
#include "netns/topology_defaults.hpp"

namespace copylab {

enum class PingPongRole { kPing, kPong };

// The UDP port the ping sends from and takes its echoes on; the pong's is SideContext::port.
inline constexpr std::uint16_t kPingPort = topology_defaults::kSrcPort;

struct SideContext {
  const TopologyConfig* topo = nullptr;  // side A pings from (ns_a, dev_a), side B pongs
  PingPongRole role = PingPongRole::kPing;
  std::size_t payload_len = 64;
  std::uint16_t port = topology_defaults::kDstPort;  // both sides use the same UDP port (src = dst)
  // Ask the datapath for kernel RX timestamps as it is built, before the side reports ready: the
  // kernel may switch them on only later (see run_ping), and traffic must not wait on that.
  bool rx_timestamps = false;
};

// Throws Error for a reflector side (no datapath), or whatever the datapath
// throws when the kernel refuses the configuration. With ctx.rx_timestamps the datapath has
// enable_rx_timestamps() called (a datapath without them says why when asked again).
std::unique_ptr<Datapath> make_side_datapath(const SideSpec& spec, const SideContext& ctx);

}  // namespace copylab

// The AF_XDP shared-UMEM forwarder: one UMEM, the steering program on the ingress device
// redirecting the experiment's UDP port into socket 1 (RX, the UMEM's first socket, its fill
// ring), and socket 2 on the egress device bound with XDP_SHARED_UMEM (TX, its own fill and
// completion rings). A frame's RX descriptor goes straight onto socket 2's TX ring after its
// Ethernet addresses are rewritten in place; completed frames go back to free and onto socket
// 1's fill ring. No byte of a frame is copied in user space. Every frame's place is tracked in
// the UMEM's FrameAllocator; counters() reports the table and whether it adds up.
#pragma once

#include <memory>

#include "datapath/forwarder.hpp"
#include "xdp/xsk_forwarder_config.hpp"

namespace copylab {

// Validates `cfg` (validate(XskForwarderConfig)) before creating anything.
std::unique_ptr<Forwarder> make_xsk_forwarder(const XskForwarderConfig& cfg);

}  // namespace copylab

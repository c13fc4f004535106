// Datapath configurations for a topology's A→B direction, shared by the library-level
// integration tests (AF_XDP, socket, cross-check) so each builds its senders the same way.
#pragma once

#include <cstddef>
#include <cstdint>

#include "netns/topology.hpp"
#include "sock/socket_config.hpp"
#include "xdp/af_xdp_config.hpp"

namespace copylab::test {

// A TX-only AF_XDP socket on device A sending to B's MAC/IP, 9000 → dst_port.
inline AfXdpConfig af_xdp_sender_config(const TopologyConfig& t, std::size_t payload,
                                        std::uint16_t dst_port) {
  AfXdpConfig c;
  c.dev = t.dev_a;
  c.rx = false;
  c.tx = true;
  c.payload_size = payload;
  c.frame.src_mac = t.mac_a;
  c.frame.dst_mac = t.mac_b;
  c.frame.src_ip = t.ip_a;
  c.frame.dst_ip = t.ip_b;
  c.frame.src_port = 9000;
  c.frame.dst_port = dst_port;
  return c;
}

// A UDP socket sender on device A to B's address.
inline SocketConfig socket_sender_config(const TopologyConfig& t, unsigned batch,
                                         std::size_t payload) {
  SocketConfig c;
  c.role = SocketRole::kSender;
  c.dev = t.dev_a;
  c.src_ip = t.ip_a.str();
  c.dst_ip = t.ip_b.str();
  c.batch = batch;
  c.payload_size = payload;
  return c;
}

// A UDP socket receiver on device B for the sender above, with a receive buffer the whole of a
// test's run fits in (the tests check integrity, not overload behaviour).
inline SocketConfig socket_receiver_config(const TopologyConfig& t, unsigned batch,
                                           std::size_t payload) {
  SocketConfig c = socket_sender_config(t, batch, payload);
  c.role = SocketRole::kReceiver;
  c.dev = t.dev_b;
  c.rcvbuf = 32 << 20;
  return c;
}

}  // namespace copylab::test

// The middle box's socket relay, the honest baseline for the AF_XDP forwarder: a UDP socket on
// the ingress device takes datagrams in with recvmmsg (the kernel copies each payload out to
// user space: COPY #4) and a socket on the egress device sends them on to the destination with
// sendmmsg (copied back in: COPY #1), in batches. The relay terminates UDP: A addresses M's
// ingress address, and the datagram leaves M from its egress address to B. Two-way, B's answers
// to that egress address go back the same way to A, from the ingress address.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "datapath/forwarder.hpp"
#include "datapath/wait_policy.hpp"

namespace copylab {

struct UdpRelayConfig {
  std::string in_dev;
  std::string out_dev;
  std::string listen_ip = "0.0.0.0";   // address on in_dev the relay receives on (any: 0.0.0.0)
  std::uint16_t listen_port = 9999;
  std::string dst_ip;                  // where datagrams go (B), routed through out_dev
  std::uint16_t dst_port = 9999;
  std::uint16_t src_port = 0;          // the egress socket's port (0: any free port)
  unsigned batch = 32;                 // datagrams per recvmmsg/sendmmsg
  WaitPolicy wait = WaitPolicy::kPoll; // spin, or poll/block (poll(2) on the ingress socket)
  int rcvbuf = 0;                      // SO_RCVBUFFORCE bytes on the ingress socket; 0: default
  // Both ways: datagrams the egress socket receives (B's answers to its address and src_port)
  // are relayed back out of the ingress socket to back_dst_ip:back_dst_port (A), routed
  // through in_dev.
  bool two_way = false;
  std::string back_dst_ip;
  std::uint16_t back_dst_port = 9999;
};

// Throws Error (kExitUsage) for the same device twice, a device missing in this namespace, an
// egress MTU smaller than the ingress MTU, a destination not routed through out_dev, a listen
// address that is not local or a port in use, a batch outside 1..1024; two-way: no back
// destination, or one not routed through in_dev.
std::unique_ptr<Forwarder> make_udp_relay(const UdpRelayConfig& cfg);

}  // namespace copylab

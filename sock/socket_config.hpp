// What the classic UDP socket path is configured with (set from the command line by
// cli/options_socket) and the checks that turn bad input into one clear line before any socket
// exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "datapath/datapath.hpp"
#include "netns/topology_defaults.hpp"

namespace copylab {

// Which address/port pair is local. A sender binds --src-ip:--src-port and sends to
// --dst-ip:--dst-port; a receiver (and an echo/pong) binds --dst-ip:--dst-port and, with
// --connect, accepts only datagrams from --src-ip:--src-port. Both can send and receive.
enum class SocketRole { kSender, kReceiver };

struct SocketConfig {
  SocketRole role = SocketRole::kSender;
  std::string dev;                  // SO_BINDTODEVICE; "" picks veth1 (sender) / veth2 (receiver)
  // the sender's address ("0.0.0.0": any address of --dev)
  std::string src_ip = topology_defaults::kIpA;
  // the receiver's address ("0.0.0.0" on a receiver: any)
  std::string dst_ip = topology_defaults::kIpB;
  std::uint16_t src_port = topology_defaults::kSrcPort;
  std::uint16_t dst_port = topology_defaults::kDstPort;
  bool connect = false;         // connect() to the peer: send()/no per-datagram route lookup
  unsigned batch = 32;          // datagrams per sendmmsg/recvmmsg; 1 = plain sendto/recvfrom
  WaitPolicy wait = WaitPolicy::kBlock;
  int busy_poll_usec = 50;      // SO_BUSY_POLL for --wait busy-poll
  int busy_poll_budget = 64;    // SO_BUSY_POLL_BUDGET for --wait busy-poll
  int rcvbuf = 0;               // bytes requested with SO_RCVBUF(FORCE); 0 = kernel default
  int sndbuf = 0;               // bytes requested with SO_SNDBUF(FORCE); 0 = kernel default
  bool show_addresses = false;  // log the user buffer address around the first few calls
  unsigned show_addresses_count = 8;
  std::size_t payload_size = 64;  // UDP payload bytes per datagram (the traffic's --size)
};

inline constexpr unsigned kMaxSocketBatch = 1024;  // UIO_MAXIOV, the kernel's vlen cap
inline constexpr int kMaxSockBuf = 1 << 30;          // largest --rcvbuf/--sndbuf accepted
inline constexpr int kDefaultReceiverRcvbuf = 4 << 20;

const char* socket_wait_name(WaitPolicy w) noexcept;

// Checks everything that can be checked before the datapath is built, in the calling thread's
// network namespace: device exists, addresses parse and are local, payload fits the device's
// MTU (check_payload_fits), batch/buffer ranges, the destination is routed through --dev, the local port
// is free. Throws Error (kExitUsage for bad input) naming the fix.
void validate(const SocketConfig& cfg, std::size_t payload_len);
inline void validate(const SocketConfig& cfg) { validate(cfg, cfg.payload_size); }

}  // namespace copylab

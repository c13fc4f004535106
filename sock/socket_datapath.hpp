// The classic UDP socket path behind the Datapath interface: sendto/recvfrom (--batch 1, one
// user↔kernel copy per syscall: COPY #1 in udp_sendmsg, COPY #4 in udp_recvmsg) or
// sendmmsg/recvmmsg, bound to the experiment's veth. The payload bytes are written by the same
// PayloadFill as on AF_XDP, into the user buffer handed to the kernel.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "datapath/datapath.hpp"
#include "sock/buffer_addresses.hpp"
#include "sock/socket_config.hpp"
#include "sock/udp_socket.hpp"

namespace copylab {

class SocketDatapath final : public Datapath {
 public:
  // Opens, binds and configures the socket (in the calling thread's network namespace). Throws
  // Error naming the fix (port in use, address not local, missing capability...).
  explicit SocketDatapath(const SocketConfig& cfg);

  std::string_view name() const override { return "socket"; }
  std::size_t send(std::size_t n, PayloadFill fill) override;
  std::size_t flush() override;
  std::size_t receive(std::size_t max, PayloadSink sink) override;
  bool wait_rx(std::chrono::milliseconds timeout) override;
  std::size_t echo(std::size_t max, PayloadSink seen) override;
  // SO_TIMESTAMPING software RX: recvfrom becomes recvmsg with a control buffer per slot.
  RxTimestamping enable_rx_timestamps() override;
  std::size_t receive_with_meta(std::size_t max, PayloadMetaSink sink) override;
  std::size_t echo_with_meta(std::size_t max, PayloadMetaSink seen) override;
  nlohmann::json mode() const override;
  nlohmann::json counters() const override;

  int fd() const noexcept { return fd_.get(); }

 private:
  struct Counts {
    std::uint64_t sent = 0;           // datagrams the kernel accepted
    std::uint64_t send_calls = 0;     // sendto/sendmmsg syscalls
    std::uint64_t send_again = 0;     // EAGAIN/ENOBUFS: socket buffer full, retried later
    std::uint64_t send_refused = 0;   // ECONNREFUSED: the peer's ICMP port unreachable, retried
    std::uint64_t received = 0;       // datagrams handed over (incl. truncated)
    std::uint64_t recv_calls = 0;     // recvfrom/recvmmsg syscalls
    std::uint64_t recv_empty = 0;     // calls that found nothing (EAGAIN / timeout)
    std::uint64_t truncated = 0;      // MSG_TRUNC: larger than the receive slot
    std::uint64_t echoed = 0;
    std::uint64_t echo_failed = 0;    // echoes the kernel refused (buffer full)
    std::uint64_t poll_calls = 0;     // poll(2) calls (--wait poll)
    std::uint64_t rx_timestamped = 0;     // datagrams with a kernel software RX timestamp
    std::uint64_t rx_not_timestamped = 0; // timestamps on, but the datagram carried none
  };

  void configure_buffers();
  void configure_busy_poll();
  void set_recv_timeout(std::chrono::milliseconds timeout);
  // Sends tx slots [tx_begin_, tx_end_); leaves what the kernel did not take.
  void push_tx();
  // One recvfrom/recvmmsg into rx slots [0, k); returns datagrams received (0: none).
  std::size_t recv_batch(std::size_t k, int flags);
  // Hands slots [rx_begin_, ...) to `sink(payload, meta)`; Sink is a PayloadSink adapter or a
  // PayloadMetaSink (a template so the plain path carries no RxMeta indirection).
  template <typename Sink>
  std::size_t deliver_ready(std::size_t max, Sink&& sink);
  template <typename Sink>
  std::size_t receive_impl(std::size_t max, Sink&& sink);
  template <typename Sink>
  std::size_t echo_impl(std::size_t max, Sink&& seen);
  std::span<const std::uint8_t> slot_payload(std::size_t i) const;
  RxMeta slot_meta(std::size_t i) const noexcept;
  std::size_t send_back(std::size_t first, std::size_t count);
  int getsockopt_int(int level, int name) const;  // -1 when the kernel refuses to tell

  SocketConfig cfg_;
  SocketEndpoints ep_;
  UniqueFd fd_;
  int send_flags_ = 0;

  std::size_t rx_slot_ = 0;
  std::vector<std::uint8_t> tx_buf_;
  std::vector<iovec> tx_iov_;
  std::vector<mmsghdr> tx_msgs_;
  std::size_t tx_begin_ = 0;
  std::size_t tx_end_ = 0;

  std::vector<std::uint8_t> rx_buf_;
  std::vector<iovec> rx_iov_;
  std::vector<mmsghdr> rx_msgs_;
  std::vector<sockaddr_in> rx_src_;
  bool rx_timestamps_ = false;
  std::size_t rx_ctrl_len_ = 0;
  std::vector<std::uint8_t> rx_ctrl_;  // one control buffer per slot (timestamps on only)
  std::vector<std::int64_t> rx_kernel_ns_;  // per slot: SCM_TIMESTAMPING ts[0] or RxMeta::kNone
  RxTimestamping rx_ts_info_;
  std::size_t rx_begin_ = 0;  // received, not yet handed over: [rx_begin_, rx_end_)
  std::size_t rx_end_ = 0;
  std::vector<mmsghdr> echo_msgs_;
  std::vector<iovec> echo_iov_;

  std::chrono::milliseconds recv_timeout_{-1};
  int requested_rcvbuf_ = 0;
  int requested_sndbuf_ = 0;
  std::string rcvbuf_note_;
  std::string sndbuf_note_;
  Counts counts_;
  BufferAddressLog tx_addresses_;
  BufferAddressLog rx_addresses_;
};

// Builds the socket datapath (call validate() first for the friendlier checks).
std::unique_ptr<Datapath> make_socket_datapath(const SocketConfig& cfg);

}  // namespace copylab

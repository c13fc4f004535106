#include "sock/udp_relay.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "common/error.hpp"
#include "packet/payload_size.hpp"
#include "sock/socket_config.hpp"
#include "sock/udp_socket.hpp"
#include "datapath/forwarder_devices.hpp"

namespace copylab {
namespace {

// Room per datagram: the largest a 9000-byte MTU carries; anything longer is counted truncated.
constexpr std::size_t kSlotBytes = 9216;

void validate(const UdpRelayConfig& cfg) {
  check_forwarder_devices(cfg.in_dev, cfg.out_dev);
  if (cfg.batch == 0 || cfg.batch > kMaxSocketBatch) {
    throw Error("--batch " + std::to_string(cfg.batch) + " is outside 1.." +
                    std::to_string(kMaxSocketBatch),
                "use a batch within the kernel's vlen limit", kExitUsage);
  }
}

class UdpRelay final : public Forwarder {
 public:
  explicit UdpRelay(const UdpRelayConfig& cfg);
  std::string_view name() const override { return "socket_relay"; }
  std::size_t forward(std::size_t max) override;
  void wait(std::chrono::milliseconds timeout) override;
  void finish(std::chrono::milliseconds) override {}  // sendmmsg returned: nothing in flight
  nlohmann::json mode() const override;
  nlohmann::json counters() const override;
  std::uint64_t forwarded() const override { return forwarded_; }

 private:
  UdpRelayConfig cfg_;
  SocketEndpoints in_ep_;
  SocketEndpoints out_ep_;
  UniqueFd in_;
  UniqueFd out_;
  std::vector<std::uint8_t> buf_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
  std::uint64_t received_ = 0;
  std::uint64_t forwarded_ = 0;
  std::uint64_t truncated_ = 0;
  std::uint64_t send_retries_ = 0;
  std::uint64_t recv_calls_ = 0;
  std::uint64_t send_calls_ = 0;
};

UdpRelay::UdpRelay(const UdpRelayConfig& cfg) : cfg_(cfg) {
  validate(cfg_);
  SocketConfig in_cfg;
  in_cfg.role = SocketRole::kReceiver;
  in_cfg.dev = cfg_.in_dev;
  in_cfg.dst_ip = cfg_.listen_ip;
  in_cfg.dst_port = cfg_.listen_port;
  in_cfg.src_ip = "0.0.0.0";
  in_ep_ = socket_endpoints(in_cfg);
  SocketConfig out_cfg;
  out_cfg.role = SocketRole::kSender;
  out_cfg.dev = cfg_.out_dev;
  out_cfg.src_ip = "0.0.0.0";
  out_cfg.src_port = cfg_.src_port;
  out_cfg.dst_ip = cfg_.dst_ip;
  out_cfg.dst_port = cfg_.dst_port;
  out_ep_ = socket_endpoints(out_cfg);
  check_reachable_through_device(cfg_.out_dev, out_ep_.remote);
  in_ = open_udp_socket(in_cfg, in_ep_);
  // Unconnected: an ICMP error from B (no receiver yet) must not fail the next send.
  out_ = open_udp_socket(out_cfg, out_ep_);
  if (cfg_.rcvbuf > 0 &&
      setsockopt(in_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &cfg_.rcvbuf, sizeof(cfg_.rcvbuf)) != 0) {
    throw_errno("setsockopt(SO_RCVBUFFORCE)", cfg_.in_dev, errno, "run as root (CAP_NET_ADMIN)");
  }
  buf_.resize(kSlotBytes * cfg_.batch);
  iov_.resize(cfg_.batch);
  msgs_.resize(cfg_.batch);
  spdlog::info("socket relay: {} on {} -> {} via {}, batches of {}", endpoint_str(in_ep_.local),
               cfg_.in_dev, endpoint_str(out_ep_.remote), cfg_.out_dev, cfg_.batch);
}

std::size_t UdpRelay::forward(std::size_t max) {
  const auto want = static_cast<unsigned>(std::min<std::size_t>(max, cfg_.batch));
  if (want == 0) return 0;
  for (unsigned i = 0; i < want; ++i) {
    iov_[i] = {buf_.data() + i * kSlotBytes, kSlotBytes};
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  ++recv_calls_;
  const int got = recvmmsg(in_.get(), msgs_.data(), want, MSG_DONTWAIT, nullptr);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    throw_errno("recvmmsg", cfg_.in_dev, errno);
  }
  const auto n = static_cast<unsigned>(got);
  received_ += n;
  for (unsigned i = 0; i < n; ++i) {
    if ((msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) ++truncated_;
    iov_[i].iov_len = msgs_[i].msg_len;
    msgs_[i].msg_hdr.msg_name = &out_ep_.remote;
    msgs_[i].msg_hdr.msg_namelen = sizeof(out_ep_.remote);
  }
  // A blocking socket: sendmmsg waits for send buffer room instead of dropping in user space.
  unsigned sent = 0;
  while (sent < n) {
    ++send_calls_;
    const int s = sendmmsg(out_.get(), msgs_.data() + sent, n - sent, 0);
    if (s < 0) {
      if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) {
        ++send_retries_;
        continue;
      }
      throw_errno("sendmmsg", endpoint_str(out_ep_.remote) + " via " + cfg_.out_dev, errno);
    }
    sent += static_cast<unsigned>(s);
  }
  forwarded_ += sent;
  return sent;
}

void UdpRelay::wait(std::chrono::milliseconds timeout) {
  if (cfg_.wait == WaitPolicy::kSpin) return;
  pollfd pfd{in_.get(), POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) < 0 && errno != EINTR) {
    throw_errno("poll", cfg_.in_dev, errno);
  }
}

nlohmann::json UdpRelay::mode() const {
  int rcvbuf = 0;
  socklen_t len = sizeof(rcvbuf);
  getsockopt(in_.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
  return {{"forwarder", "socket_relay"},
          {"in_dev", cfg_.in_dev},
          {"out_dev", cfg_.out_dev},
          {"listen", endpoint_str(in_ep_.local)},
          {"destination", endpoint_str(out_ep_.remote)},
          {"batch", cfg_.batch},
          {"wait", to_string(cfg_.wait)},
          {"rcvbuf", rcvbuf},
          {"calls", "recvmmsg + sendmmsg"},
          {"user_copies", "each datagram is copied out by recvmmsg and back in by sendmmsg"}};
}

nlohmann::json UdpRelay::counters() const {
  return {{"received", received_},       {"forwarded", forwarded_},
          {"truncated", truncated_},     {"send_retries", send_retries_},
          {"recvmmsg_calls", recv_calls_}, {"sendmmsg_calls", send_calls_}};
}

}  // namespace

std::unique_ptr<Forwarder> make_udp_relay(const UdpRelayConfig& cfg) {
  return std::make_unique<UdpRelay>(cfg);
}

}  // namespace copylab

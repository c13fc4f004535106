#include "sock/udp_relay.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
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
  if (cfg.two_way && cfg.back_dst_ip.empty()) {
    throw Error("--two-way needs --back-dst-ip (where answers go back to, through " +
                    cfg.in_dev + ")",
                "pass --back-dst-ip with A's address", kExitUsage);
  }
}

// One way through the relay: datagrams read from `from` are sent from `to` to `dst`.
struct RelayWay {
  int from = -1;
  int to = -1;
  sockaddr_in dst{};
  std::string from_dev, to_dev;
  std::uint64_t received = 0;
  std::uint64_t forwarded = 0;
  std::uint64_t truncated = 0;
  std::uint64_t send_retries = 0;
  std::uint64_t recv_calls = 0;
  std::uint64_t send_calls = 0;

  nlohmann::json counters() const {
    return {{"received", received},       {"forwarded", forwarded},
            {"truncated", truncated},     {"send_retries", send_retries},
            {"recvmmsg_calls", recv_calls}, {"sendmmsg_calls", send_calls}};
  }
};

class UdpRelay final : public Forwarder {
 public:
  explicit UdpRelay(const UdpRelayConfig& cfg);
  std::string_view name() const override { return "socket_relay"; }
  std::size_t forward(std::size_t max) override;
  void wait(std::chrono::milliseconds timeout) override;
  void finish(std::chrono::milliseconds) override {}  // sendmmsg returned: nothing in flight
  nlohmann::json mode() const override;
  nlohmann::json counters() const override;
  std::uint64_t forwarded() const override;

 private:
  std::size_t relay(RelayWay& w, std::size_t max);

  UdpRelayConfig cfg_;
  SocketEndpoints in_ep_;
  SocketEndpoints out_ep_;
  SocketEndpoints back_ep_;
  UniqueFd in_;
  UniqueFd out_;
  std::vector<std::uint8_t> buf_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
  std::vector<RelayWay> ways_;  // in -> out, then out -> in when two-way
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
  if (cfg_.two_way) {
    SocketConfig back_cfg;
    back_cfg.role = SocketRole::kSender;
    back_cfg.dev = cfg_.in_dev;
    back_cfg.src_ip = "0.0.0.0";
    back_cfg.dst_ip = cfg_.back_dst_ip;
    back_cfg.dst_port = cfg_.back_dst_port;
    back_ep_ = socket_endpoints(back_cfg);
    check_reachable_through_device(cfg_.in_dev, back_ep_.remote);
  }
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
  RelayWay there;
  there.from = in_.get();
  there.to = out_.get();
  there.dst = out_ep_.remote;
  there.from_dev = cfg_.in_dev;
  there.to_dev = cfg_.out_dev;
  ways_.push_back(there);
  if (cfg_.two_way) {
    RelayWay back;
    back.from = out_.get();
    back.to = in_.get();
    back.dst = back_ep_.remote;
    back.from_dev = cfg_.out_dev;
    back.to_dev = cfg_.in_dev;
    ways_.push_back(back);
  }
  spdlog::info("socket relay: {} on {} -> {} via {}{}, batches of {}", endpoint_str(in_ep_.local),
               cfg_.in_dev, endpoint_str(out_ep_.remote), cfg_.out_dev,
               cfg_.two_way ? ", and back to " + endpoint_str(back_ep_.remote) + " via " + cfg_.in_dev
                            : std::string(),
               cfg_.batch);
}

std::uint64_t UdpRelay::forwarded() const {
  std::uint64_t n = 0;
  for (const RelayWay& w : ways_) n += w.forwarded;
  return n;
}

std::size_t UdpRelay::forward(std::size_t max) {
  std::size_t done = relay(ways_[0], max);
  for (std::size_t i = 1; i < ways_.size() && done < max; ++i) done += relay(ways_[i], max - done);
  return done;
}

std::size_t UdpRelay::relay(RelayWay& w, std::size_t max) {
  const auto want = static_cast<unsigned>(std::min<std::size_t>(max, cfg_.batch));
  if (want == 0) return 0;
  for (unsigned i = 0; i < want; ++i) {
    iov_[i] = {buf_.data() + i * kSlotBytes, kSlotBytes};
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  ++w.recv_calls;
  const int got = recvmmsg(w.from, msgs_.data(), want, MSG_DONTWAIT, nullptr);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    throw_errno("recvmmsg", w.from_dev, errno);
  }
  const auto n = static_cast<unsigned>(got);
  w.received += n;
  for (unsigned i = 0; i < n; ++i) {
    if ((msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) ++w.truncated;
    iov_[i].iov_len = msgs_[i].msg_len;
    msgs_[i].msg_hdr.msg_name = &w.dst;
    msgs_[i].msg_hdr.msg_namelen = sizeof(w.dst);
  }
  // A blocking socket: sendmmsg waits for send buffer room instead of dropping in user space.
  unsigned sent = 0;
  while (sent < n) {
    ++w.send_calls;
    const int s = sendmmsg(w.to, msgs_.data() + sent, n - sent, 0);
    if (s < 0) {
      if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) {
        ++w.send_retries;
        continue;
      }
      throw_errno("sendmmsg", endpoint_str(w.dst) + " via " + w.to_dev, errno);
    }
    sent += static_cast<unsigned>(s);
  }
  w.forwarded += sent;
  return sent;
}

void UdpRelay::wait(std::chrono::milliseconds timeout) {
  if (cfg_.wait == WaitPolicy::kSpin) return;
  std::array<pollfd, 2> pfd{};
  for (std::size_t i = 0; i < ways_.size(); ++i) pfd[i] = {ways_[i].from, POLLIN, 0};
  if (poll(pfd.data(), static_cast<nfds_t>(ways_.size()), static_cast<int>(timeout.count())) < 0 &&
      errno != EINTR) {
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
          {"two_way", cfg_.two_way},
          {"back_destination", cfg_.two_way ? nlohmann::json(endpoint_str(back_ep_.remote))
                                            : nlohmann::json(nullptr)},
          {"user_copies", "each datagram is copied out by recvmmsg and back in by sendmmsg"}};
}

nlohmann::json UdpRelay::counters() const {
  // Both ways together; per direction under "directions" when two-way.
  RelayWay t;
  for (const RelayWay& w : ways_) {
    t.received += w.received;
    t.forwarded += w.forwarded;
    t.truncated += w.truncated;
    t.send_retries += w.send_retries;
    t.recv_calls += w.recv_calls;
    t.send_calls += w.send_calls;
  }
  nlohmann::json j = t.counters();
  if (cfg_.two_way) {
    j["directions"] = {{"in_to_out", ways_[0].counters()}, {"out_to_in", ways_[1].counters()}};
  }
  return j;
}

}  // namespace

std::unique_ptr<Forwarder> make_udp_relay(const UdpRelayConfig& cfg) {
  return std::make_unique<UdpRelay>(cfg);
}

}  // namespace copylab

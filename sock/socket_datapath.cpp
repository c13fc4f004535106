#include "sock/socket_datapath.hpp"

#include <linux/sock_diag.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"
#include "netns/netns_scope.hpp"
#include "packet/frame.hpp"
#include "packet/payload.hpp"
#include "packet/payload_size.hpp"
#include "sock/rx_timestamp.hpp"

namespace copylab {
namespace {

constexpr std::size_t kSlotAlign = 64;

std::size_t round_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

bool transient_send_error(int err) { return err == EAGAIN || err == ENOBUFS; }

std::string sockopt_name(int name) {
  switch (name) {
    case SO_RCVBUFFORCE: return "SO_RCVBUFFORCE";
    case SO_SNDBUFFORCE: return "SO_SNDBUFFORCE";
    case SO_BUSY_POLL: return "SO_BUSY_POLL";
    case SO_PREFER_BUSY_POLL: return "SO_PREFER_BUSY_POLL";
    case SO_BUSY_POLL_BUDGET: return "SO_BUSY_POLL_BUDGET";
    default: return "SOL_SOCKET option " + std::to_string(name);
  }
}

}  // namespace

SocketDatapath::SocketDatapath(const SocketConfig& cfg)
    : cfg_(cfg),
      ep_(socket_endpoints(cfg)),
      fd_(open_udp_socket(cfg, ep_)),
      tx_addresses_(cfg.show_addresses ? cfg.show_addresses_count : 0),
      rx_addresses_(cfg.show_addresses ? cfg.show_addresses_count : 0) {
  if (cfg_.batch < 1 || cfg_.batch > kMaxSocketBatch) {
    throw Error("--batch " + std::to_string(cfg_.batch) + " is out of range",
                "use 1.." + std::to_string(kMaxSocketBatch), kExitUsage);
  }
  // An internal invariant, not input checking (the size was checked where it entered): the
  // payload writer needs room for the payload header.
  if (cfg_.payload_size < kMinPayloadSize || cfg_.payload_size > kMaxPayloadSize) {
    throw Error("socket datapath built with a " + std::to_string(cfg_.payload_size) +
                    "-byte payload, outside " + std::to_string(kMinPayloadSize) + ".." +
                    std::to_string(kMaxPayloadSize),
                "check the size where it enters (check_payload_size) before building a datapath");
  }
  send_flags_ = cfg_.wait == WaitPolicy::kBlock ? 0 : MSG_DONTWAIT;
  const std::size_t batch = cfg_.batch;

  // TX: one slot per datagram of a batch; the PayloadFill writes straight into it.
  tx_buf_.assign(batch * round_up(cfg_.payload_size, kSlotAlign), 0);
  tx_iov_.resize(batch);
  tx_msgs_.resize(batch);
  for (std::size_t i = 0; i < batch; ++i) {
    tx_iov_[i] = {tx_buf_.data() + i * round_up(cfg_.payload_size, kSlotAlign), cfg_.payload_size};
    msghdr& h = tx_msgs_[i].msg_hdr;
    h = {};
    h.msg_iov = &tx_iov_[i];
    h.msg_iovlen = 1;
    if (!cfg_.connect) {
      h.msg_name = &ep_.remote;
      h.msg_namelen = sizeof(ep_.remote);
    }
  }

  // RX: slots one byte larger than the largest datagram we expect, so MSG_TRUNC is detectable.
  rx_slot_ = round_up(std::max<std::size_t>(cfg_.payload_size, 2048) + 1, kSlotAlign);
  rx_buf_.assign(batch * rx_slot_, 0);
  rx_iov_.resize(batch);
  rx_msgs_.resize(batch);
  rx_src_.resize(batch);
  echo_msgs_.resize(batch);
  echo_iov_.resize(batch);
  for (std::size_t i = 0; i < batch; ++i) {
    rx_iov_[i] = {rx_buf_.data() + i * rx_slot_, rx_slot_};
    msghdr& h = rx_msgs_[i].msg_hdr;
    h = {};
    h.msg_iov = &rx_iov_[i];
    h.msg_iovlen = 1;
    h.msg_name = &rx_src_[i];
    h.msg_namelen = sizeof(rx_src_[i]);
  }

  configure_buffers();
  if (cfg_.wait == WaitPolicy::kBusyPoll) configure_busy_poll();
  spdlog::debug("socket datapath: {} {} -> {} via {} in {}, batch {}, wait {}",
                cfg_.role == SocketRole::kSender ? "sender" : "receiver", endpoint_str(ep_.local),
                endpoint_str(ep_.remote), cfg_.dev, netns_label(), cfg_.batch,
                socket_wait_name(cfg_.wait));
}

void SocketDatapath::configure_buffers() {
  const auto size_buffer = [this](int force_opt, int plain_opt, int bytes, std::string& note) {
    if (bytes <= 0) return;
    // FORCE (CAP_NET_ADMIN) is not capped by net.core.[rw]mem_max; fall back and say so.
    if (setsockopt(fd_.get(), SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) == 0) return;
    const int err = errno;
    if (setsockopt(fd_.get(), SOL_SOCKET, plain_opt, &bytes, sizeof(bytes)) != 0) {
      throw_errno("setsockopt(" + sockopt_name(force_opt) + ")", cfg_.dev, errno);
    }
    note = sockopt_name(force_opt) + " refused (" + errno_text(err) +
           "): plain option used, capped by net.core." + (plain_opt == SO_RCVBUF ? "rmem_max" : "wmem_max");
    spdlog::warn("{}: {}", cfg_.dev, note);
  };
  requested_rcvbuf_ = cfg_.rcvbuf;
  requested_sndbuf_ = cfg_.sndbuf;
  size_buffer(SO_RCVBUFFORCE, SO_RCVBUF, cfg_.rcvbuf, rcvbuf_note_);
  size_buffer(SO_SNDBUFFORCE, SO_SNDBUF, cfg_.sndbuf, sndbuf_note_);
}

void SocketDatapath::configure_busy_poll() {
  const auto set = [this](int opt, int value) {
    if (setsockopt(fd_.get(), SOL_SOCKET, opt, &value, sizeof(value)) != 0) {
      const int err = errno;
      throw_errno("setsockopt(" + sockopt_name(opt) + ", " + std::to_string(value) + ")", cfg_.dev, err,
                  err == EPERM ? "run as root (needs CAP_NET_ADMIN)" : "use --wait spin instead");
    }
  };
  set(SO_BUSY_POLL, cfg_.busy_poll_usec);
  set(SO_PREFER_BUSY_POLL, 1);
  set(SO_BUSY_POLL_BUDGET, cfg_.busy_poll_budget);
}

void SocketDatapath::set_recv_timeout(std::chrono::milliseconds timeout) {
  if (timeout == recv_timeout_) return;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
    throw_errno("setsockopt(SO_RCVTIMEO)", cfg_.dev, errno);
  }
  recv_timeout_ = timeout;
}

void SocketDatapath::push_tx() {
  while (tx_begin_ < tx_end_) {
    const std::size_t count = tx_end_ - tx_begin_;
    const bool record = tx_addresses_.wants_more();
    std::vector<std::uintptr_t> before;
    if (record) {
      for (std::size_t i = tx_begin_; i < tx_end_; ++i) {
        before.push_back(reinterpret_cast<std::uintptr_t>(tx_iov_[i].iov_base));
      }
    }
    ++counts_.send_calls;
    long done = 0;
    const char* call = cfg_.batch == 1 ? "sendto" : "sendmmsg";
    if (cfg_.batch == 1) {
      // One datagram, one syscall, one copy.
      const iovec& iov = tx_iov_[tx_begin_];
      const ssize_t r =
          cfg_.connect ? ::send(fd_.get(), iov.iov_base, iov.iov_len, send_flags_)
                       : ::sendto(fd_.get(), iov.iov_base, iov.iov_len, send_flags_,
                                  reinterpret_cast<const sockaddr*>(&ep_.remote), sizeof(ep_.remote));
      done = r < 0 ? -1 : 1;
      if (record && r >= 0) tx_msgs_[tx_begin_].msg_len = static_cast<unsigned>(r);
    } else {
      done = ::sendmmsg(fd_.get(), &tx_msgs_[tx_begin_], static_cast<unsigned>(count), send_flags_);
    }
    if (done < 0) {
      const int err = errno;
      if (err == EINTR) {
        if (stop_requested()) return;
        continue;
      }
      if (err == ECONNREFUSED) {  // an earlier datagram met a closed port: reported once, retry
        ++counts_.send_refused;
        continue;
      }
      if (transient_send_error(err)) {
        ++counts_.send_again;
        return;
      }
      throw_errno(call, endpoint_str(ep_.remote) + " via " + cfg_.dev, err);
    }
    const auto sent = static_cast<std::size_t>(done);
    if (record) {
      for (std::size_t i = 0; i < sent && tx_addresses_.wants_more(); ++i) {
        const std::size_t slot = tx_begin_ + i;
        tx_addresses_.record({call, counts_.sent + i, before[i],
                              reinterpret_cast<std::uintptr_t>(tx_iov_[slot].iov_base),
                              tx_iov_[slot].iov_len, static_cast<long>(tx_msgs_[slot].msg_len)});
      }
    }
    counts_.sent += sent;
    tx_begin_ += sent;
  }
  tx_begin_ = tx_end_ = 0;
}

std::size_t SocketDatapath::send(std::size_t n, PayloadFill fill) {
  if (tx_begin_ < tx_end_) {
    push_tx();
    if (tx_begin_ < tx_end_) return 0;  // the kernel is still full: nothing new queued
  }
  std::size_t queued = 0;
  while (queued < n) {
    const std::size_t k = std::min<std::size_t>(cfg_.batch, n - queued);
    for (std::size_t i = 0; i < k; ++i) {
      fill(std::span<std::uint8_t>(static_cast<std::uint8_t*>(tx_iov_[i].iov_base), cfg_.payload_size));
    }
    tx_begin_ = 0;
    tx_end_ = k;
    queued += k;
    push_tx();
    if (tx_begin_ < tx_end_) break;  // the rest stays queued for flush()/the next send()
  }
  return queued;
}

std::size_t SocketDatapath::flush() {
  push_tx();
  return tx_end_ - tx_begin_;
}

std::size_t SocketDatapath::recv_batch(std::size_t k, int flags) {
  k = std::min<std::size_t>(k, cfg_.batch);
  const bool record = rx_addresses_.wants_more();
  const char* call = cfg_.batch != 1 ? "recvmmsg" : rx_timestamps_ ? "recvmsg" : "recvfrom";
  std::size_t got = 0;
  while (true) {
    ++counts_.recv_calls;
    long r = 0;
    if (rx_timestamps_) {
      // recvmsg/recvmmsg with a control buffer per slot: the kernel's SCM_TIMESTAMPING.
      for (std::size_t i = 0; i < k; ++i) {
        rx_msgs_[i].msg_hdr.msg_namelen = sizeof(rx_src_[i]);
        rx_msgs_[i].msg_hdr.msg_controllen = rx_ctrl_len_;
      }
      if (cfg_.batch == 1) {
        const ssize_t n = ::recvmsg(fd_.get(), &rx_msgs_[0].msg_hdr, flags | MSG_TRUNC);
        if (n >= 0) rx_msgs_[0].msg_len = static_cast<unsigned>(n);
        r = n < 0 ? -1 : 1;
      } else {
        r = ::recvmmsg(fd_.get(), rx_msgs_.data(), static_cast<unsigned>(k), flags, nullptr);
      }
    } else if (cfg_.batch == 1) {
      socklen_t len = sizeof(rx_src_[0]);
      const ssize_t n = ::recvfrom(fd_.get(), rx_iov_[0].iov_base, rx_iov_[0].iov_len, flags | MSG_TRUNC,
                                   reinterpret_cast<sockaddr*>(&rx_src_[0]), &len);
      if (n >= 0) {
        rx_msgs_[0].msg_len = static_cast<unsigned>(n);
        // With MSG_TRUNC recvfrom returns the datagram's real length.
        rx_msgs_[0].msg_hdr.msg_flags = static_cast<std::size_t>(n) > rx_iov_[0].iov_len ? MSG_TRUNC : 0;
        rx_msgs_[0].msg_hdr.msg_namelen = len;
        r = 1;
      } else {
        r = -1;
      }
    } else {
      for (std::size_t i = 0; i < k; ++i) rx_msgs_[i].msg_hdr.msg_namelen = sizeof(rx_src_[i]);
      r = ::recvmmsg(fd_.get(), rx_msgs_.data(), static_cast<unsigned>(k), flags, nullptr);
    }
    if (r >= 0) {
      got = static_cast<std::size_t>(r);
      break;
    }
    const int err = errno;
    if (err == EAGAIN || err == EINTR) {
      ++counts_.recv_empty;
      return 0;
    }
    if (err == ECONNREFUSED) continue;  // ICMP for something we sent earlier; not a datagram
    throw_errno(call, endpoint_str(ep_.local) + " on " + cfg_.dev, err);
  }
  for (std::size_t i = 0; i < got; ++i) {
    if ((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) ++counts_.truncated;
    if (rx_timestamps_) {
      rx_kernel_ns_[i] = software_rx_timestamp_ns(rx_msgs_[i].msg_hdr);
      ++(rx_kernel_ns_[i] == RxMeta::kNone ? counts_.rx_not_timestamped : counts_.rx_timestamped);
    }
    if (record && rx_addresses_.wants_more()) {
      const auto addr = reinterpret_cast<std::uintptr_t>(rx_iov_[i].iov_base);
      rx_addresses_.record({call, counts_.received + i, addr,
                            reinterpret_cast<std::uintptr_t>(rx_msgs_[i].msg_hdr.msg_iov->iov_base),
                            rx_iov_[i].iov_len, static_cast<long>(rx_msgs_[i].msg_len)});
    }
  }
  counts_.received += got;
  rx_begin_ = 0;
  rx_end_ = got;
  return got;
}

std::span<const std::uint8_t> SocketDatapath::slot_payload(std::size_t i) const {
  // A datagram that did not fit is handed over empty: counted as corrupt, never as valid.
  if ((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) return {};
  return {static_cast<const std::uint8_t*>(rx_iov_[i].iov_base), rx_msgs_[i].msg_len};
}

RxMeta SocketDatapath::slot_meta(std::size_t i) const noexcept {
  return rx_timestamps_ ? RxMeta{rx_kernel_ns_[i]} : RxMeta{};
}

template <typename Sink>
std::size_t SocketDatapath::deliver_ready(std::size_t max, Sink&& sink) {
  std::size_t handed = 0;
  while (handed < max && rx_begin_ < rx_end_) {
    sink(slot_payload(rx_begin_), slot_meta(rx_begin_));
    ++rx_begin_;
    ++handed;
  }
  return handed;
}

template <typename Sink>
std::size_t SocketDatapath::receive_impl(std::size_t max, Sink&& sink) {
  std::size_t handed = deliver_ready(max, sink);
  if (handed > 0) return handed;  // what wait_rx() already fetched; no extra syscall
  while (handed < max) {
    const std::size_t want = std::min<std::size_t>(cfg_.batch, max - handed);
    const std::size_t got = recv_batch(want, MSG_DONTWAIT);
    handed += deliver_ready(got, sink);
    if (got < want) break;
  }
  return handed;
}

std::size_t SocketDatapath::receive(std::size_t max, PayloadSink sink) {
  return receive_impl(max, [&](std::span<const std::uint8_t> p, const RxMeta&) { sink(p); });
}

std::size_t SocketDatapath::receive_with_meta(std::size_t max, PayloadMetaSink sink) {
  return receive_impl(max, sink);
}

bool SocketDatapath::wait_rx(std::chrono::milliseconds timeout) {
  if (rx_begin_ < rx_end_) return true;
  if (stop_requested()) return false;
  switch (cfg_.wait) {
    case WaitPolicy::kBlock: {
      if (timeout.count() <= 0) return recv_batch(cfg_.batch, MSG_DONTWAIT) > 0;
      // The blocking receive itself is the wait (one syscall per wakeup, as in a minimal
      // receiver.c); the datagrams wait in the slots for receive().
      set_recv_timeout(timeout);
      return recv_batch(cfg_.batch, cfg_.batch == 1 ? 0 : MSG_WAITFORONE) > 0;
    }
    case WaitPolicy::kPoll: {
      pollfd p{fd_.get(), POLLIN, 0};
      ++counts_.poll_calls;
      const int r = ::poll(&p, 1, static_cast<int>(std::max<std::chrono::milliseconds::rep>(timeout.count(), 0)));
      if (r < 0 && errno != EINTR) throw_errno("poll", cfg_.dev, errno);
      return r > 0;
    }
    case WaitPolicy::kSpin:
    case WaitPolicy::kBusyPoll: {
      const std::uint64_t deadline =
          now_ns() + static_cast<std::uint64_t>(std::max<std::chrono::milliseconds::rep>(timeout.count(), 0)) * 1'000'000ULL;
      do {
        if (recv_batch(cfg_.batch, MSG_DONTWAIT) > 0) return true;
      } while (!stop_requested() && now_ns() < deadline);
      return false;
    }
  }
  return false;
}

std::size_t SocketDatapath::send_back(std::size_t first, std::size_t count) {
  std::size_t done = 0;
  while (done < count) {
    const std::size_t start = first + done;
    ++counts_.send_calls;
    long r = 0;
    if (cfg_.batch == 1) {
      const ssize_t n = ::sendto(fd_.get(), rx_iov_[start].iov_base, rx_msgs_[start].msg_len, send_flags_,
                                 reinterpret_cast<const sockaddr*>(&rx_src_[start]),
                                 rx_msgs_[start].msg_hdr.msg_namelen);
      r = n < 0 ? -1 : 1;
    } else {
      for (std::size_t i = 0; i < count - done; ++i) {
        const std::size_t s = start + i;
        echo_iov_[i] = {rx_iov_[s].iov_base, rx_msgs_[s].msg_len};
        msghdr& h = echo_msgs_[i].msg_hdr;
        h = {};
        h.msg_iov = &echo_iov_[i];
        h.msg_iovlen = 1;
        h.msg_name = &rx_src_[s];
        h.msg_namelen = rx_msgs_[s].msg_hdr.msg_namelen;
      }
      r = ::sendmmsg(fd_.get(), echo_msgs_.data(), static_cast<unsigned>(count - done), send_flags_);
    }
    if (r < 0) {
      const int err = errno;
      if (err == EINTR && !stop_requested()) continue;
      if (err == ECONNREFUSED) {
        ++counts_.send_refused;
        continue;
      }
      if (transient_send_error(err) || err == EINTR) {
        ++counts_.send_again;
        break;
      }
      throw_errno(cfg_.batch == 1 ? "sendto (echo)" : "sendmmsg (echo)", cfg_.dev, err);
    }
    done += static_cast<std::size_t>(r);
  }
  counts_.sent += done;
  counts_.echoed += done;
  counts_.echo_failed += count - done;
  return done;
}

template <typename Sink>
std::size_t SocketDatapath::echo_impl(std::size_t max, Sink&& seen) {
  if (rx_begin_ >= rx_end_) {
    if (recv_batch(std::min<std::size_t>(max, cfg_.batch), MSG_DONTWAIT) == 0) return 0;
  }
  const std::size_t first = rx_begin_;
  std::size_t count = 0;
  for (std::size_t i = rx_begin_; i < rx_end_ && count < max; ++i, ++count) {
    seen(slot_payload(i), slot_meta(i));
  }
  rx_begin_ += count;
  return send_back(first, count);
}

std::size_t SocketDatapath::echo(std::size_t max, PayloadSink seen) {
  return echo_impl(max, [&](std::span<const std::uint8_t> p, const RxMeta&) { seen(p); });
}

std::size_t SocketDatapath::echo_with_meta(std::size_t max, PayloadMetaSink seen) {
  return echo_impl(max, seen);
}

RxTimestamping SocketDatapath::enable_rx_timestamps() {
  if (rx_timestamps_) return rx_ts_info_;
  rx_ts_info_ = enable_software_rx_timestamps(fd_.get(), cfg_.dev);
  if (!rx_ts_info_.enabled) return rx_ts_info_;
  rx_ctrl_len_ = rx_timestamp_control_len();
  rx_ctrl_.assign(rx_msgs_.size() * rx_ctrl_len_, 0);
  rx_kernel_ns_.assign(rx_msgs_.size(), RxMeta::kNone);
  for (std::size_t i = 0; i < rx_msgs_.size(); ++i) {
    rx_msgs_[i].msg_hdr.msg_control = rx_ctrl_.data() + i * rx_ctrl_len_;
    rx_msgs_[i].msg_hdr.msg_controllen = rx_ctrl_len_;
  }
  rx_timestamps_ = true;
  return rx_ts_info_;
}

int SocketDatapath::getsockopt_int(int level, int name) const {
  int v = 0;
  socklen_t len = sizeof(v);
  if (::getsockopt(fd_.get(), level, name, &v, &len) != 0) return -1;
  return v;
}

nlohmann::json SocketDatapath::mode() const {
  char bound[IFNAMSIZ + 1] = {};
  socklen_t bound_len = sizeof(bound);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_BINDTODEVICE, bound, &bound_len) != 0) bound[0] = '\0';
  sockaddr_in local{};
  socklen_t local_len = sizeof(local);
  ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&local), &local_len);
  sockaddr_in peer{};
  socklen_t peer_len = sizeof(peer);
  const bool connected = ::getpeername(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0;

  nlohmann::json j;
  j["datapath"] = "socket";
  j["role"] = cfg_.role == SocketRole::kSender ? "sender" : "receiver";
  j["netns"] = current_netns_name();
  j["bound_device"] = std::string(bound);  // read back: SO_BINDTODEVICE
  j["local"] = endpoint_str(local);
  j["remote"] = connected ? nlohmann::json(endpoint_str(peer)) : nlohmann::json(endpoint_str(ep_.remote));
  j["connected"] = connected;
  j["batch"] = cfg_.batch;
  const char* recv_call = rx_timestamps_ ? "recvmsg" : "recvfrom";
  j["syscalls"] = cfg_.batch == 1 ? std::string(connected ? "send/" : "sendto/") + recv_call
                                  : std::string("sendmmsg/recvmmsg");
  j["payload_size"] = cfg_.payload_size;
  j["wait"] = socket_wait_name(cfg_.wait);
  j["send_flags"] = send_flags_ == 0 ? "blocking" : "MSG_DONTWAIT";
  j["rcvbuf"] = {{"requested", requested_rcvbuf_}, {"granted", getsockopt_int(SOL_SOCKET, SO_RCVBUF)}};
  j["sndbuf"] = {{"requested", requested_sndbuf_}, {"granted", getsockopt_int(SOL_SOCKET, SO_SNDBUF)}};
  if (!rcvbuf_note_.empty()) j["rcvbuf"]["note"] = rcvbuf_note_;
  if (!sndbuf_note_.empty()) j["sndbuf"]["note"] = sndbuf_note_;
  // Read back from the kernel whatever the wait policy: a busy-poll run must show it got it.
  const int napi_id = getsockopt_int(SOL_SOCKET, SO_INCOMING_NAPI_ID);
  nlohmann::json bp;
  bp["so_busy_poll_usec"] = getsockopt_int(SOL_SOCKET, SO_BUSY_POLL);
  bp["so_prefer_busy_poll"] = getsockopt_int(SOL_SOCKET, SO_PREFER_BUSY_POLL);
  const int budget = getsockopt_int(SOL_SOCKET, SO_BUSY_POLL_BUDGET);
  if (budget >= 0) {
    bp["so_busy_poll_budget"] = budget;
  } else if (cfg_.wait == WaitPolicy::kBusyPoll) {
    // This kernel has no getsockopt for it; setsockopt succeeded, which is all we can show.
    bp["so_busy_poll_budget"] = "set to " + std::to_string(cfg_.busy_poll_budget) +
                                " (setsockopt accepted; the kernel does not report it back)";
  } else {
    bp["so_busy_poll_budget"] = nullptr;
  }
  bp["incoming_napi_id"] = napi_id;
  if (cfg_.wait == WaitPolicy::kBusyPoll && counts_.received > 0 && napi_id == 0) {
    bp["note"] =
        "no NAPI id on the received traffic (veth delivers stack traffic through the per-CPU "
        "backlog unless an XDP program runs on it): busy polling has nothing to poll, this run "
        "is effectively --wait spin";
  }
  j["busy_poll"] = bp;
  if (rx_timestamps_) {
    j["rx_timestamps"] = {{"source", rx_ts_info_.source},
                          {"clock", rx_ts_info_.clock_name},
                          {"where", rx_ts_info_.where}};
  }
  j["checksum"] =
      "kernel UDP/IPv4 checksums; on veth TX offload leaves CHECKSUM_PARTIAL (pseudo-header sum) "
      "in frames an AF_XDP receiver sees";
  return j;
}

nlohmann::json SocketDatapath::counters() const {
  nlohmann::json j;
  j["sent"] = counts_.sent;
  j["send_calls"] = counts_.send_calls;
  j["send_again"] = counts_.send_again;
  j["send_refused"] = counts_.send_refused;
  j["received"] = counts_.received;
  j["recv_calls"] = counts_.recv_calls;
  j["recv_empty"] = counts_.recv_empty;
  j["poll_calls"] = counts_.poll_calls;
  j["truncated"] = counts_.truncated;
  j["echoed"] = counts_.echoed;
  j["echo_failed"] = counts_.echo_failed;
  if (rx_timestamps_) {
    j["rx_timestamped"] = counts_.rx_timestamped;
    j["rx_not_timestamped"] = counts_.rx_not_timestamped;
  }
  j["queued_unsent"] = tx_end_ - tx_begin_;
  std::uint32_t mem[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof(mem);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_MEMINFO, mem, &len) == 0) {
    // SK_MEMINFO_DROPS is sk_drops, the same counter SO_RXQ_OVFL reports per datagram: datagrams
    // the kernel dropped for this socket (receive buffer full, checksum, filter).
    j["kernel"] = {{"source", "SO_MEMINFO"},
                   {"drops", mem[SK_MEMINFO_DROPS]},
                   {"rmem_alloc", mem[SK_MEMINFO_RMEM_ALLOC]},
                   {"rcvbuf", mem[SK_MEMINFO_RCVBUF]},
                   {"wmem_alloc", mem[SK_MEMINFO_WMEM_ALLOC]},
                   {"sndbuf", mem[SK_MEMINFO_SNDBUF]},
                   {"backlog", mem[SK_MEMINFO_BACKLOG]}};
  } else {
    j["kernel"] = {{"source", "SO_MEMINFO"}, {"error", errno_text(errno)}};
  }
  j["user_buffers"] = {{"tx", tx_addresses_.to_json()}, {"rx", rx_addresses_.to_json()}};
  return j;
}

std::unique_ptr<Datapath> make_socket_datapath(const SocketConfig& cfg) {
  return std::make_unique<SocketDatapath>(cfg);
}

}  // namespace copylab

#include "xdp/af_xdp_datapath.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"
#include "packet/frame.hpp"
#include "xdp/af_xdp_datapath_impl.hpp"
#include "xdp/steer_abi.h"

namespace copylab {
namespace afxdp_detail {
namespace {

// The kernel's copy-mode transmit handles at most this many descriptors per sendto
// (TX_BATCH_SIZE in net/xdp/xsk.c) and returns EAGAIN when more remain.
constexpr std::uint32_t kKernelTxBudget = 32;

void set_int_sockopt(int fd, int opt, int value, const char* name, const std::string& dev) {
  if (setsockopt(fd, SOL_SOCKET, opt, &value, sizeof(value)) != 0) {
    throw_errno(std::string("setsockopt(") + name + ")", dev, errno,
                "busy polling needs CAP_NET_ADMIN and a 5.11+ kernel; or use --wait spin");
  }
}

}  // namespace

AfXdpDatapath::AfXdpDatapath(const AfXdpConfig& cfg)
    : cfg_(cfg), dev_(query_device(cfg.dev)) {
  if (!cfg_.rx && !cfg_.tx) throw Error("AF_XDP datapath with neither RX nor TX", "enable one");
  SteerOptions so;
  so.dev = cfg_.dev;
  so.ifindex = dev_.ifindex;
  so.mode = cfg_.mode;
  so.dst_port = cfg_.steered_port();
  so.force_replace = cfg_.force_replace;
  so.offer_force_replace = cfg_.offer_force_replace;
  // Refuse before binding anything: a foreign program means nothing of ours gets created.
  if (cfg_.rx) SteerProgram::check_device_free(so);
  umem_ = std::make_unique<Umem>(cfg_.umem_config());
  rx_frames_ = cfg_.rx_frames();
  tx_frames_ = cfg_.frame_count - rx_frames_;

  XskOptions xo;
  xo.dev = cfg_.dev;
  xo.queue = cfg_.queue;
  xo.rx = cfg_.rx;
  xo.tx = cfg_.tx;
  xo.rx_size = cfg_.ring_size;
  xo.tx_size = cfg_.ring_size;
  xo.zero_copy = cfg_.zero_copy;
  xo.need_wakeup = cfg_.need_wakeup;
  xsk_ = std::make_unique<XskSocket>(*umem_, xo);

  if (cfg_.wait == WaitPolicy::kBusyPoll) {
    set_int_sockopt(xsk_->fd(), SO_PREFER_BUSY_POLL, 1, "SO_PREFER_BUSY_POLL", cfg_.dev);
    set_int_sockopt(xsk_->fd(), SO_BUSY_POLL, static_cast<int>(cfg_.busy_poll_usec), "SO_BUSY_POLL",
                    cfg_.dev);
    set_int_sockopt(xsk_->fd(), SO_BUSY_POLL_BUDGET, static_cast<int>(cfg_.busy_poll_budget),
                    "SO_BUSY_POLL_BUDGET", cfg_.dev);
  }
  scratch_.resize(cfg_.ring_size);
  scratch_len_.resize(cfg_.ring_size);

  if (cfg_.rx) {
    refill_rx();  // frames on the fill ring before anything is redirected here
    steer_ = std::make_unique<SteerProgram>(so);
    xsk_->register_in(steer_->xsks_map_fd());
  }
  spdlog::info("AF_XDP socket on {} queue {}: {} mode{}, {}{}", cfg_.dev, cfg_.queue,
               xsk_->zero_copy() ? "zero-copy" : "copy",
               cfg_.need_wakeup ? ", need_wakeup" : "",
               cfg_.rx && cfg_.tx ? "RX+TX" : cfg_.rx ? "RX only" : "TX only (no XDP program)",
               cfg_.wait == WaitPolicy::kBusyPoll ? ", busy-poll" : "");
}

void AfXdpDatapath::refill_rx() {
  const std::size_t have = umem_->frames().count(FramePlace::kFill);
  if (have < rx_frames_) umem_->refill(static_cast<std::uint32_t>(rx_frames_ - have));
}

void AfXdpDatapath::wake_rx_if_needed() {
  if (cfg_.need_wakeup && xsk_ring_prod__needs_wakeup(&umem_->fill_ring())) {
    recvfrom(xsk_->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    ++stats_.rx_wakeups;
  }
}

void AfXdpDatapath::reap_completions() {
  std::uint32_t got = 0;
  do {
    got = umem_->reap_completions(cfg_.ring_size);
    stats_.tx_completions += got;
  } while (got != 0);
}

std::uint32_t AfXdpDatapath::tx_pending_in_ring() {
  xsk_ring_prod* tx = xsk_->tx();
  return cfg_.ring_size - xsk_prod_nb_free(tx, cfg_.ring_size);
}

void AfXdpDatapath::kick_tx() {
  xsk_ring_prod* tx = xsk_->tx();
  // Copy mode transmits inside sendto, at most kKernelTxBudget descriptors per call.
  std::uint32_t pending = tx_pending_in_ring();
  std::uint32_t tries = pending / kKernelTxBudget + 2;
  while (pending != 0 && tries-- != 0) {
    if (cfg_.need_wakeup && !xsk_ring_prod__needs_wakeup(tx)) break;
    ++stats_.tx_kicks;
    if (sendto(xsk_->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0) {
      const int err = errno;
      if (err == EAGAIN || err == EBUSY || err == ENOBUFS || err == EINTR) {
        ++stats_.tx_kicks_again;
        reap_completions();  // a full completion ring stops the kernel's transmit
      } else {
        throw_errno("sendto (AF_XDP TX kick)", cfg_.dev + " queue " + std::to_string(cfg_.queue),
                    err, err == ENETDOWN || err == ENXIO ? "bring the device up (ip link set dev " + cfg_.dev + " up)" : "");
      }
    }
    pending = tx_pending_in_ring();
  }
}

std::size_t AfXdpDatapath::send(std::size_t n, PayloadFill fill) {
  if (!cfg_.tx || n == 0) return 0;
  reap_completions();
  FrameAllocator& frames = umem_->frames();
  const std::size_t in_tx = frames.count(FramePlace::kTx);
  const std::size_t budget = tx_frames_ > in_tx ? tx_frames_ - in_tx : 0;
  n = std::min({n, cfg_.batch, budget, frames.count(FramePlace::kFree)});
  if (n == 0) return 0;
  xsk_ring_prod* tx = xsk_->tx();
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_prod__reserve(tx, static_cast<std::uint32_t>(n), &idx);
  const std::size_t flen = frame_len(cfg_.payload_size);
  for (std::uint32_t i = 0; i < got; ++i) {
    const std::uint64_t addr = *frames.take_free(FramePlace::kTx);
    const std::span<std::uint8_t> frame(umem_->at(addr), flen);
    fill(frame_payload(frame));
    finalize_frame(frame, cfg_.frame, cfg_.payload_size, ip_id_++);
    xdp_desc* d = xsk_ring_prod__tx_desc(tx, idx + i);
    d->addr = addr;
    d->len = static_cast<std::uint32_t>(flen);
    d->options = 0;
  }
  if (got != 0) xsk_ring_prod__submit(tx, got);
  stats_.tx_frames += got;
  return got;
}

std::size_t AfXdpDatapath::flush() {
  if (!cfg_.tx) return 0;
  kick_tx();
  reap_completions();
  return umem_->frames().count(FramePlace::kTx);
}

void AfXdpDatapath::recycle(std::span<const std::uint64_t> addrs) {
  FrameAllocator& frames = umem_->frames();
  xsk_ring_prod& fq = umem_->fill_ring();
  std::uint32_t idx = 0;
  const auto n = static_cast<std::uint32_t>(addrs.size());
  const std::uint32_t got = xsk_ring_prod__reserve(&fq, n, &idx);
  for (std::uint32_t i = 0; i < got; ++i) {
    frames.move(addrs[i], FramePlace::kRx, FramePlace::kFill);
    *xsk_ring_prod__fill_addr(&fq, idx + i) = frames.base_of(addrs[i]);
  }
  if (got != 0) xsk_ring_prod__submit(&fq, got);
  for (std::uint32_t i = got; i < n; ++i) {
    frames.move(addrs[i], FramePlace::kRx, FramePlace::kFree);
    ++stats_.fill_ring_short;
  }
}

RxTimestamping AfXdpDatapath::enable_rx_timestamps() {
  RxTimestamping t;
  if (!cfg_.rx || !steer_) {
    t.why_not = "a TX-only AF_XDP datapath has no steering program to stamp frames";
    return t;
  }
  if (xsk_->zero_copy()) {
    // Zero-copy drivers place the metadata area per driver; copylab verified only copy mode.
    t.why_not = "AF_XDP zero-copy: the XDP metadata area in UMEM is not verified for this driver";
    return t;
  }
  steer_->set_rx_stamping(true);
  rx_stamps_ = true;
  t.enabled = true;
  t.clock = CLOCK_MONOTONIC;
  t.clock_name = "CLOCK_MONOTONIC";
  t.source = "XDP program bpf_ktime_get_ns via XDP metadata (bpf_xdp_adjust_meta in front of the "
             "frame; AF_XDP copy mode copies it into the UMEM frame)";
  const bool generic = steer_->attached_mode() == XdpAttachMode::kGeneric;
  t.where = "at the XDP hook of " + cfg_.dev + " (" +
            (generic ? std::string("generic: netif_receive_skb -> do_xdp_generic, after the "
                                   "backlog queue")
                     : std::string("native: the device's NAPI poll; on veth veth_xdp_rcv, "
                                   "after the peer's ptr_ring")) +
            "), before the copy into UMEM";
  return t;
}

RxMeta AfXdpDatapath::take_rx_meta(const xdp_desc& d) {
  constexpr std::size_t kLen = sizeof(steer_rx_meta);
  // Only read inside this UMEM frame: the stamp sits in the headroom in front of the data.
  if (d.addr - umem_->frames().base_of(d.addr) < kLen) {
    ++stats_.rx_meta_no_room;
    return {};
  }
  std::uint8_t* at = umem_->at(d.addr) - kLen;
  steer_rx_meta m{};
  std::memcpy(&m, at, kLen);
  std::memset(at, 0, kLen);
  if (m.magic != STEER_RX_META_MAGIC) {
    ++stats_.rx_meta_missing;
    return {};
  }
  ++stats_.rx_meta_stamped;
  RxMeta meta;
  meta.kernel_rx_ns = static_cast<std::int64_t>(m.rx_ns);
  return meta;
}

std::size_t AfXdpDatapath::receive(std::size_t max, PayloadSink sink) {
  return receive_frames(max, [&](std::span<const std::uint8_t> p, const RxMeta&) { sink(p); });
}

std::size_t AfXdpDatapath::receive_with_meta(std::size_t max, PayloadMetaSink sink) {
  return receive_frames(max, sink);
}

std::size_t AfXdpDatapath::echo(std::size_t max, PayloadSink seen) {
  return echo_frames(max, [&](std::span<const std::uint8_t> p, const RxMeta&) { seen(p); });
}

std::size_t AfXdpDatapath::echo_with_meta(std::size_t max, PayloadMetaSink seen) {
  return echo_frames(max, seen);
}

bool AfXdpDatapath::accept_checksums(const ParsedFrame& parsed) {
  if (!parsed.ip_checksum_ok) {
    ++stats_.ip_csum_bad;
    return false;
  }
  switch (parsed.udp_checksum) {
    case UdpChecksum::kBad:
      ++stats_.udp_csum_bad;
      return false;
    case UdpChecksum::kPartial:
      ++stats_.udp_csum_partial;
      return true;
    case UdpChecksum::kNone:
    case UdpChecksum::kFull:
      return true;
  }
  return true;
}

std::size_t AfXdpDatapath::receive_frames(std::size_t max, PayloadMetaSink sink) {
  if (!cfg_.rx || max == 0) return 0;
  xsk_ring_cons* rx = xsk_->rx();
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_cons__peek(
      rx, static_cast<std::uint32_t>(std::min(max, cfg_.batch)), &idx);
  if (got == 0) {
    wake_rx_if_needed();
    return 0;
  }
  FrameAllocator& frames = umem_->frames();
  for (std::uint32_t i = 0; i < got; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(rx, idx + i);
    scratch_[i] = d->addr;
    frames.move(d->addr, FramePlace::kFill, FramePlace::kRx);
    const RxMeta meta = rx_stamps_ ? take_rx_meta(*d) : RxMeta{};
    const std::span<const std::uint8_t> frame(umem_->at(d->addr), d->len);
    stats_.rx_bytes += d->len;
    const auto parsed = parse_frame(frame);
    if (!parsed) {
      ++stats_.rx_parse_failures;
      sink({}, meta);
      continue;
    }
    sink(accept_checksums(*parsed) ? parsed->payload : std::span<const std::uint8_t>{}, meta);
  }
  xsk_ring_cons__release(rx, got);
  stats_.rx_frames += got;
  recycle({scratch_.data(), got});
  refill_rx();
  return got;
}

std::size_t AfXdpDatapath::echo_frames(std::size_t max, PayloadMetaSink seen) {
  if (!cfg_.rx || !cfg_.tx) {
    throw Error("echo needs an AF_XDP datapath with both RX and TX", "enable rx and tx");
  }
  reap_completions();
  xsk_ring_prod* tx = xsk_->tx();
  const std::uint32_t room = xsk_prod_nb_free(tx, cfg_.ring_size);
  const auto want = static_cast<std::uint32_t>(
      std::min<std::size_t>({max, room, cfg_.batch}));
  if (want == 0) {
    kick_tx();
    return 0;
  }
  xsk_ring_cons* rx = xsk_->rx();
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_cons__peek(rx, want, &idx);
  if (got == 0) {
    wake_rx_if_needed();
    return 0;
  }
  FrameAllocator& frames = umem_->frames();
  std::uint32_t echoed = 0;
  std::vector<std::uint64_t> unparsed;  // rare: not ours, or a frame the kernel would drop
  for (std::uint32_t i = 0; i < got; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(rx, idx + i);
    frames.move(d->addr, FramePlace::kFill, FramePlace::kRx);
    // The stamp lies in front of the data: reflecting in place and transmitting [addr, addr+len)
    // never touch or send it (and take_rx_meta has cleared it already).
    const RxMeta meta = rx_stamps_ ? take_rx_meta(*d) : RxMeta{};
    const std::span<std::uint8_t> frame(umem_->at(d->addr), d->len);
    stats_.rx_bytes += d->len;
    const auto parsed = parse_frame(frame);
    if (!parsed || !accept_checksums(*parsed)) {  // not ours, or the kernel would drop it
      if (!parsed) ++stats_.rx_parse_failures;
      seen({}, meta);
      unparsed.push_back(d->addr);
      continue;
    }
    seen(parsed->payload, meta);
    reflect_frame(frame);  // swaps headers, recomputes both checksums (partial ones too)
    scratch_[echoed] = d->addr;
    scratch_len_[echoed] = d->len;
    ++echoed;
  }
  xsk_ring_cons__release(rx, got);
  stats_.rx_frames += got;
  if (!unparsed.empty()) recycle(unparsed);

  std::uint32_t tidx = 0;
  const std::uint32_t reserved = xsk_ring_prod__reserve(tx, echoed, &tidx);  // == echoed: room checked
  for (std::uint32_t i = 0; i < reserved; ++i) {
    frames.move(scratch_[i], FramePlace::kRx, FramePlace::kTx);
    xdp_desc* d = xsk_ring_prod__tx_desc(tx, tidx + i);
    d->addr = scratch_[i];  // same UMEM frame, same offset: sent back in place
    d->len = scratch_len_[i];
    d->options = 0;
  }
  if (reserved != 0) xsk_ring_prod__submit(tx, reserved);
  if (reserved < echoed) recycle({scratch_.data() + reserved, echoed - reserved});
  stats_.tx_frames += reserved;
  stats_.echoed += reserved;
  kick_tx();
  reap_completions();
  refill_rx();
  return reserved;
}

bool AfXdpDatapath::wait_rx(std::chrono::milliseconds timeout) {
  const std::uint64_t deadline =
      now_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
  if (!cfg_.rx) {
    const timespec ts{static_cast<time_t>(timeout.count() / 1000),
                      static_cast<long>(timeout.count() % 1000) * 1'000'000L};
    nanosleep(&ts, nullptr);
    return false;
  }
  if (rx_available()) return true;
  switch (cfg_.wait) {
    case WaitPolicy::kPoll:
    case WaitPolicy::kBlock: {
      pollfd pfd{xsk_->fd(), POLLIN, 0};
      const int ret = poll(&pfd, 1, static_cast<int>(timeout.count()));
      if (ret < 0 && errno != EINTR) throw_errno("poll", cfg_.dev, errno);
      return ret > 0 && rx_available();
    }
    case WaitPolicy::kBusyPoll:
    case WaitPolicy::kSpin:
      for (std::uint32_t spins = 0;; ++spins) {
        if (cfg_.wait == WaitPolicy::kBusyPoll) {
          // recvfrom on an AF_XDP socket runs the busy-poll loop (SO_BUSY_POLL) for its queue.
          recvfrom(xsk_->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
        } else if ((spins & 1023U) == 0) {
          wake_rx_if_needed();
        }
        if (rx_available()) return true;
        if ((spins & 255U) == 0 && (stop_requested() || now_ns() >= deadline)) return false;
      }
  }
  return false;
}

}  // namespace afxdp_detail

std::unique_ptr<Datapath> make_af_xdp_datapath(const AfXdpConfig& cfg) {
  return std::make_unique<afxdp_detail::AfXdpDatapath>(cfg);
}

}  // namespace copylab

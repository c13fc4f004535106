#include "xdp/xsk_forwarder.hpp"

#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "umem/umem.hpp"
#include "xdp/device.hpp"
#include "xdp/steer_program.hpp"
#include "xdp/xsk_socket.hpp"

namespace copylab {
namespace {

// The kernel's copy-mode transmit handles at most this many descriptors per sendto
// (TX_BATCH_SIZE in net/xdp/xsk.c) and returns EAGAIN when more remain.
constexpr std::uint32_t kKernelTxBudget = 32;

struct Stats {
  std::uint64_t rx_frames = 0;
  std::uint64_t forwarded = 0;       // put on socket 2's TX ring
  std::uint64_t short_frames = 0;    // shorter than an Ethernet header: back to the fill ring
  std::uint64_t completions = 0;
  std::uint64_t rx_wakeups = 0;
  std::uint64_t tx_kicks = 0;
  std::uint64_t tx_kicks_again = 0;  // EAGAIN/EBUSY/ENOBUFS: the kernel wants another kick
};

class XskForwarder final : public Forwarder {
 public:
  explicit XskForwarder(const XskForwarderConfig& cfg);

  std::string_view name() const override { return "af_xdp_shared_umem"; }
  std::size_t forward(std::size_t max) override;
  void wait(std::chrono::milliseconds timeout) override;
  void finish(std::chrono::milliseconds timeout) override;
  nlohmann::json mode() const override;
  nlohmann::json counters() const override;
  std::uint64_t forwarded() const override { return stats_.forwarded; }

 private:
  void reap();
  void refill();
  void kick_tx();
  std::uint32_t tx_pending();

  XskForwarderConfig cfg_;
  DeviceInfo in_;
  DeviceInfo out_;
  MacAddr src_mac_;
  // Destroyed in reverse: the steering program first (nothing is redirected any more), then
  // socket 2 (which still needs its rings), its rings, socket 1, the UMEM.
  std::unique_ptr<Umem> umem_;
  std::unique_ptr<XskSocket> rx_sock_;
  std::unique_ptr<XskUmemRings> out_rings_;
  std::unique_ptr<XskSocket> tx_sock_;
  std::unique_ptr<SteerProgram> steer_;
  std::vector<std::uint64_t> addrs_;
  std::vector<std::uint32_t> lens_;
  Stats stats_;
};

XskForwarder::XskForwarder(const XskForwarderConfig& cfg)
    : cfg_((validate(cfg), cfg)), in_(query_device(cfg.in_dev)), out_(query_device(cfg.out_dev)) {
  src_mac_ = cfg_.src_mac ? *cfg_.src_mac : out_.mac;
  SteerOptions so;
  so.dev = cfg_.in_dev;
  so.ifindex = in_.ifindex;
  so.mode = cfg_.mode;
  so.dst_port = cfg_.steer_port;
  so.force_replace = cfg_.force_replace;
  so.offer_force_replace = cfg_.offer_force_replace;
  // Refuse before binding anything: a foreign program means nothing of ours gets created.
  SteerProgram::check_device_free(so);

  umem_ = std::make_unique<Umem>(cfg_.umem_config());
  XskOptions in_opts;
  in_opts.dev = cfg_.in_dev;
  in_opts.queue = cfg_.queue;
  in_opts.rx = true;
  in_opts.tx = false;
  in_opts.rx_size = cfg_.ring_size;
  in_opts.need_wakeup = cfg_.need_wakeup;
  rx_sock_ = std::make_unique<XskSocket>(*umem_, in_opts);

  XskOptions out_opts;
  out_opts.dev = cfg_.out_dev;
  out_opts.queue = cfg_.queue;
  out_opts.rx = false;
  out_opts.tx = true;
  out_opts.tx_size = cfg_.ring_size;
  out_rings_ = std::make_unique<XskUmemRings>();
  tx_sock_ = std::make_unique<XskSocket>(*umem_, out_opts, *out_rings_);
  if (!tx_sock_->shared_umem_bind() || tx_sock_->shared_umem_fd() != rx_sock_->fd()) {
    throw Error("the socket on " + cfg_.out_dev + " was not bound to the first socket's UMEM",
                "report this: libxdp's xsk_socket__create_shared did not share the UMEM");
  }
  addrs_.resize(cfg_.ring_size);
  lens_.resize(cfg_.ring_size);

  refill();  // frames on the fill ring before anything is redirected here
  steer_ = std::make_unique<SteerProgram>(so);
  rx_sock_->register_in(steer_->xsks_map_fd());
  spdlog::info("AF_XDP forwarder: {} queue {} (fd {}) -> {} queue {} (fd {}, XDP_SHARED_UMEM "
               "with fd {}), one UMEM of {} frames, {} mode, rewriting to {} -> {}",
               cfg_.in_dev, cfg_.queue, rx_sock_->fd(), cfg_.out_dev, cfg_.queue, tx_sock_->fd(),
               tx_sock_->shared_umem_fd(), cfg_.frame_count,
               rx_sock_->zero_copy() ? "zero-copy" : "copy", src_mac_.str(), cfg_.dst_mac.str());
}

void XskForwarder::reap() {
  std::uint32_t got = 0;
  do {
    got = umem_->reap_completions(out_rings_->comp, cfg_.ring_size);
    stats_.completions += got;
  } while (got != 0);
}

void XskForwarder::refill() {
  const auto free = static_cast<std::uint32_t>(umem_->frames().count(FramePlace::kFree));
  if (free != 0) umem_->refill(free);
  if (cfg_.need_wakeup && xsk_ring_prod__needs_wakeup(&umem_->fill_ring())) {
    recvfrom(rx_sock_->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    ++stats_.rx_wakeups;
  }
}

std::uint32_t XskForwarder::tx_pending() {
  return cfg_.ring_size - xsk_prod_nb_free(tx_sock_->tx(), cfg_.ring_size);
}

void XskForwarder::kick_tx() {
  xsk_ring_prod* tx = tx_sock_->tx();
  std::uint32_t pending = tx_pending();
  std::uint32_t tries = pending / kKernelTxBudget + 2;
  while (pending != 0 && tries-- != 0) {
    if (cfg_.need_wakeup && !xsk_ring_prod__needs_wakeup(tx)) break;
    ++stats_.tx_kicks;
    if (sendto(tx_sock_->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0) {
      const int err = errno;
      if (err != EAGAIN && err != EBUSY && err != ENOBUFS && err != EINTR) {
        throw_errno("sendto (AF_XDP TX kick)", cfg_.out_dev, err,
                    err == ENETDOWN || err == ENXIO
                        ? "bring the device up (ip link set dev " + cfg_.out_dev + " up)"
                        : "");
      }
      ++stats_.tx_kicks_again;
      reap();  // a full completion ring stops the kernel's transmit
    }
    pending = tx_pending();
  }
}

std::size_t XskForwarder::forward(std::size_t max) {
  reap();
  refill();
  xsk_ring_prod* tx = tx_sock_->tx();
  const std::uint32_t room = xsk_prod_nb_free(tx, cfg_.ring_size);
  const auto want = static_cast<std::uint32_t>(std::min<std::size_t>({max, cfg_.batch, room}));
  if (want == 0) {
    kick_tx();
    return 0;
  }
  xsk_ring_cons* rx = rx_sock_->rx();
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_cons__peek(rx, want, &idx);
  if (got == 0) {
    if (tx_pending() != 0) kick_tx();
    return 0;
  }
  FrameAllocator& frames = umem_->frames();
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < got; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(rx, idx + i);
    frames.move(d->addr, FramePlace::kFill, FramePlace::kRx);
    if (d->len < ETH_HLEN) {
      frames.move(d->addr, FramePlace::kRx, FramePlace::kFree);
      ++stats_.short_frames;
      continue;
    }
    // The only bytes the forwarder writes: destination and source MAC, in place in the UMEM.
    std::uint8_t* eth = umem_->at(d->addr);
    std::memcpy(eth, cfg_.dst_mac.bytes.data(), ETH_ALEN);
    std::memcpy(eth + ETH_ALEN, src_mac_.bytes.data(), ETH_ALEN);
    addrs_[n] = d->addr;
    lens_[n] = d->len;
    ++n;
  }
  xsk_ring_cons__release(rx, got);
  stats_.rx_frames += got;

  std::uint32_t tidx = 0;
  const std::uint32_t reserved = xsk_ring_prod__reserve(tx, n, &tidx);  // == n: room checked
  for (std::uint32_t i = 0; i < reserved; ++i) {
    frames.move(addrs_[i], FramePlace::kRx, FramePlace::kTx);
    xdp_desc* d = xsk_ring_prod__tx_desc(tx, tidx + i);
    d->addr = addrs_[i];  // same UMEM frame, same offset: the RX descriptor is the TX descriptor
    d->len = lens_[i];
    d->options = 0;
  }
  if (reserved != 0) xsk_ring_prod__submit(tx, reserved);
  for (std::uint32_t i = reserved; i < n; ++i) frames.move(addrs_[i], FramePlace::kRx, FramePlace::kFree);
  stats_.forwarded += reserved;
  kick_tx();
  return reserved;
}

void XskForwarder::wait(std::chrono::milliseconds timeout) {
  if (tx_pending() != 0 || xsk_cons_nb_avail(rx_sock_->rx(), 1) != 0) return;
  if (cfg_.wait == WaitPolicy::kPoll) {
    pollfd pfd{rx_sock_->fd(), POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(timeout.count())) < 0 && errno != EINTR) {
      throw_errno("poll", cfg_.in_dev, errno);
    }
  }
  // Spin: the caller polls the ring again at once.
}

void XskForwarder::finish(std::chrono::milliseconds timeout) {
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
  while (umem_->frames().count(FramePlace::kTx) != 0 && now_ns() < deadline) {
    kick_tx();
    reap();
  }
  refill();
}

nlohmann::json XskForwarder::mode() const {
  nlohmann::json j = to_json(cfg_);
  j["forwarder"] = "af_xdp_shared_umem";
  j["in_ifindex"] = in_.ifindex;
  j["out_ifindex"] = out_.ifindex;
  j["xdp_attach"] = to_string(steer_->attached_mode());
  j["xdp_prog_id"] = steer_->prog_id();
  j["dispatcher"] = steer_->dispatcher();
  j["bind"] = rx_sock_->zero_copy() ? "zero-copy" : "copy";
  j["rewrite"] = {{"dst_mac", cfg_.dst_mac.str()}, {"src_mac", src_mac_.str()}};
  // How the two sockets share the UMEM: socket 2's bind named socket 1's fd (the UMEM's) with
  // XDP_SHARED_UMEM, and the kernel accepted it although socket 2 never registered a UMEM of its
  // own (net/xdp/xsk.c xsk_bind refuses a socket without a UMEM unless it shares one).
  j["shared_umem"] = {{"first_socket", {{"dev", cfg_.in_dev}, {"fd", rx_sock_->fd()},
                                        {"rings", {"rx", "fill", "completion"}}}},
                      {"second_socket", {{"dev", cfg_.out_dev}, {"fd", tx_sock_->fd()},
                                         {"bind_flags", "XDP_SHARED_UMEM"},
                                         {"shared_umem_fd", tx_sock_->shared_umem_fd()},
                                         {"rings", {"tx", "fill", "completion"}}}},
                      {"umem_registrations", 1}};
  return j;
}

nlohmann::json XskForwarder::counters() const {
  const FrameAllocator& f = umem_->frames();
  std::string why;
  const bool ok = f.check_invariant(&why);
  const std::size_t total = f.count(FramePlace::kFree) + f.count(FramePlace::kFill) +
                            f.count(FramePlace::kRx) + f.count(FramePlace::kTx) +
                            f.count(FramePlace::kCompletion);
  return {{"rx_frames", stats_.rx_frames},
          {"forwarded", stats_.forwarded},
          {"short_frames", stats_.short_frames},
          {"tx_completions", stats_.completions},
          {"rx_wakeups", stats_.rx_wakeups},
          {"tx_kicks", stats_.tx_kicks},
          {"tx_kicks_again", stats_.tx_kicks_again},
          {"xdp_statistics_in", rx_sock_->statistics_json()},
          {"xdp_statistics_out", tx_sock_->statistics_json()},
          {"steer", steer_->counters_json()},
          // Where every UMEM frame is: free, on the fill ring (or in the RX ring, unread), read
          // from RX, on the TX ring (until its completion), completed; together the UMEM.
          {"frames", {{"free", f.count(FramePlace::kFree)},
                      {"fill", f.count(FramePlace::kFill)},
                      {"rx", f.count(FramePlace::kRx)},
                      {"tx", f.count(FramePlace::kTx)},
                      {"completion", f.count(FramePlace::kCompletion)},
                      {"total", f.frame_count()},
                      {"accounted", total},
                      {"invariant", ok ? "holds" : why}}}};
}

}  // namespace

std::unique_ptr<Forwarder> make_xsk_forwarder(const XskForwarderConfig& cfg) {
  return std::make_unique<XskForwarder>(cfg);
}

}  // namespace copylab

#include "xdp/xsk_forwarder.hpp"

#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
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

// The longest a poll wait sleeps while frames are out on a TX ring (posted and not yet taken by
// the kernel, or sent and not yet completed). No wakeup reaches a waiter when the kernel
// completes a frame or could take more (its completion ring, a stopped device queue, the
// socket's send buffer freeing up), so the loop looks again this often to reap, refill and kick.
constexpr int kTxRecheckMs = 1;

struct Stats {
  std::uint64_t rx_frames = 0;
  std::uint64_t forwarded = 0;       // put on the other socket's TX ring
  std::uint64_t short_frames = 0;    // shorter than an Ethernet header: back to free
  std::uint64_t completions = 0;
  std::uint64_t rx_wakeups = 0;
  std::uint64_t tx_kicks = 0;
  std::uint64_t tx_kicks_again = 0;  // EAGAIN/EBUSY/ENOBUFS: the kernel wants another kick
  // High-water mark of descriptors waiting on the RX ring when the loop came back to it: how far
  // the forwarder fell behind (at ring_size the kernel drops and counts rx_ring_full).
  std::uint64_t rx_backlog_max = 0;
  // Low-water mark of frames left on the fill ring at the same moments (at 0 the kernel drops
  // and counts rx_fill_ring_empty_descs).
  std::uint64_t fill_low = UINT64_MAX;

  Stats& operator+=(const Stats& o) {
    rx_frames += o.rx_frames;
    forwarded += o.forwarded;
    short_frames += o.short_frames;
    completions += o.completions;
    rx_wakeups += o.rx_wakeups;
    tx_kicks += o.tx_kicks;
    tx_kicks_again += o.tx_kicks_again;
    rx_backlog_max = std::max(rx_backlog_max, o.rx_backlog_max);
    fill_low = std::min(fill_low, o.fill_low);
    return *this;
  }
};

nlohmann::json to_json(const Stats& s) {
  return {{"rx_frames", s.rx_frames},   {"forwarded", s.forwarded},
          {"short_frames", s.short_frames}, {"tx_completions", s.completions},
          {"rx_wakeups", s.rx_wakeups}, {"tx_kicks", s.tx_kicks},
          {"tx_kicks_again", s.tx_kicks_again}, {"rx_backlog_max", s.rx_backlog_max},
          {"fill_ring_low", s.fill_low == UINT64_MAX ? 0 : s.fill_low}};
}

// One way through the forwarder: descriptors read from `rx`'s RX ring (its device's fill ring
// `fill`) go onto `tx`'s TX ring, whose completions come back on `comp`.
struct Direction {
  const char* name = "";  // "in_to_out", "out_to_in"
  XskSocket* rx = nullptr;
  XskSocket* tx = nullptr;
  xsk_ring_prod* fill = nullptr;
  xsk_ring_cons* comp = nullptr;
  std::string rx_dev, tx_dev;
  MacAddr dst_mac, src_mac;
  std::uint64_t on_fill = 0;  // frames given to `fill` and not yet read from `rx`
  Stats stats;
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
  std::uint64_t forwarded() const override { return forwarded_; }

 private:
  std::size_t forward(Direction& d, std::size_t max);
  void reap(Direction& d);
  void refill();
  void refill(Direction& d, std::uint32_t n);
  void kick_tx(Direction& d);
  std::uint32_t tx_pending(Direction& d);
  void poll_sockets(int timeout_ms, bool rx);
  Stats totals() const;

  XskForwarderConfig cfg_;
  DeviceInfo in_;
  DeviceInfo out_;
  // Destroyed in reverse: the steering programs first (nothing is redirected any more), then
  // socket 2 (which still needs its rings), its rings, socket 1, the UMEM.
  std::unique_ptr<Umem> umem_;
  std::unique_ptr<XskSocket> rx_sock_;
  std::unique_ptr<XskUmemRings> out_rings_;
  std::unique_ptr<XskSocket> tx_sock_;
  std::unique_ptr<SteerProgram> steer_;
  std::unique_ptr<SteerProgram> steer_back_;  // two-way only: on out_dev
  std::vector<Direction> dirs_;  // in_to_out, then out_to_in when two-way
  std::vector<std::uint64_t> addrs_;
  std::vector<std::uint32_t> lens_;
  std::uint64_t forwarded_ = 0;
};

SteerOptions steer_options(const XskForwarderConfig& cfg, const std::string& dev, int ifindex,
                           std::uint16_t port) {
  SteerOptions so;
  so.dev = dev;
  so.ifindex = ifindex;
  so.mode = cfg.mode;
  so.dst_port = port;
  so.force_replace = cfg.force_replace;
  so.offer_force_replace = cfg.offer_force_replace;
  return so;
}

XskForwarder::XskForwarder(const XskForwarderConfig& cfg)
    : cfg_((validate(cfg), cfg)), in_(query_device(cfg.in_dev)), out_(query_device(cfg.out_dev)) {
  const SteerOptions so = steer_options(cfg_, cfg_.in_dev, in_.ifindex, cfg_.steer_port);
  const SteerOptions so_back = steer_options(cfg_, cfg_.out_dev, out_.ifindex, cfg_.back_port());
  // Refuse before binding anything: a foreign program means nothing of ours gets created.
  SteerProgram::check_device_free(so);
  if (cfg_.two_way) SteerProgram::check_device_free(so_back);

  umem_ = std::make_unique<Umem>(cfg_.umem_config());
  XskOptions in_opts;
  in_opts.dev = cfg_.in_dev;
  in_opts.queue = cfg_.queue;
  in_opts.rx = true;
  in_opts.tx = cfg_.two_way;
  in_opts.rx_size = cfg_.ring_size;
  in_opts.tx_size = cfg_.ring_size;
  in_opts.need_wakeup = cfg_.need_wakeup;
  rx_sock_ = std::make_unique<XskSocket>(*umem_, in_opts);

  XskOptions out_opts;
  out_opts.dev = cfg_.out_dev;
  out_opts.queue = cfg_.queue;
  out_opts.rx = cfg_.two_way;
  out_opts.tx = true;
  out_opts.rx_size = cfg_.ring_size;
  out_opts.tx_size = cfg_.ring_size;
  out_rings_ = std::make_unique<XskUmemRings>();
  tx_sock_ = std::make_unique<XskSocket>(*umem_, out_opts, *out_rings_);
  if (!tx_sock_->shared_umem_bind() || tx_sock_->shared_umem_fd() != rx_sock_->fd()) {
    throw Error("the socket on " + cfg_.out_dev + " was not bound to the first socket's UMEM",
                "report this: libxdp's xsk_socket__create_shared did not share the UMEM");
  }
  Direction there;
  there.name = "in_to_out";
  there.rx = rx_sock_.get();
  there.tx = tx_sock_.get();
  there.fill = &umem_->fill_ring();
  there.comp = &out_rings_->comp;
  there.rx_dev = cfg_.in_dev;
  there.tx_dev = cfg_.out_dev;
  there.dst_mac = cfg_.dst_mac;
  there.src_mac = cfg_.src_mac ? *cfg_.src_mac : out_.mac;
  dirs_.push_back(there);
  if (cfg_.two_way) {
    Direction back;
    back.name = "out_to_in";
    back.rx = tx_sock_.get();
    back.tx = rx_sock_.get();
    back.fill = &out_rings_->fill;
    back.comp = &umem_->completion_ring();
    back.rx_dev = cfg_.out_dev;
    back.tx_dev = cfg_.in_dev;
    back.dst_mac = cfg_.back_dst_mac;
    back.src_mac = cfg_.back_src_mac ? *cfg_.back_src_mac : in_.mac;
    dirs_.push_back(back);
  }
  addrs_.resize(cfg_.ring_size);
  lens_.resize(cfg_.ring_size);

  refill();  // frames on the fill rings before anything is redirected here
  steer_ = std::make_unique<SteerProgram>(so);
  rx_sock_->register_in(steer_->xsks_map_fd());
  if (cfg_.two_way) {
    steer_back_ = std::make_unique<SteerProgram>(so_back);
    tx_sock_->register_in(steer_back_->xsks_map_fd());
  }
  spdlog::info("AF_XDP forwarder: {} queue {} (fd {}) {} {} queue {} (fd {}, XDP_SHARED_UMEM "
               "with fd {}), one UMEM of {} frames, {} mode, rewriting to {} -> {}",
               cfg_.in_dev, cfg_.queue, rx_sock_->fd(), cfg_.two_way ? "<->" : "->",
               cfg_.out_dev, cfg_.queue, tx_sock_->fd(), tx_sock_->shared_umem_fd(),
               cfg_.frame_count, rx_sock_->zero_copy() ? "zero-copy" : "copy",
               dirs_[0].src_mac.str(), dirs_[0].dst_mac.str());
}

void XskForwarder::reap(Direction& d) {
  std::uint32_t got = 0;
  do {
    got = umem_->reap_completions(*d.comp, cfg_.ring_size);
    d.stats.completions += got;
  } while (got != 0);
}

void XskForwarder::refill(Direction& d, std::uint32_t n) {
  if (n != 0) d.on_fill += umem_->refill(*d.fill, n);
  if (cfg_.need_wakeup && xsk_ring_prod__needs_wakeup(d.fill)) {
    recvfrom(d.rx->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    ++d.stats.rx_wakeups;
  }
}

void XskForwarder::refill() {
  const auto free = static_cast<std::uint32_t>(umem_->frames().count(FramePlace::kFree));
  if (dirs_.size() == 1) {
    refill(dirs_[0], free);
    return;
  }
  // Two ways: each fill ring holds at most half the UMEM, so frames parked on one device's fill
  // ring never starve the other direction.
  const std::uint64_t half = cfg_.frame_count / 2;
  for (Direction& d : dirs_) {
    const std::uint64_t room = d.on_fill < half ? half - d.on_fill : 0;
    const auto avail = static_cast<std::uint32_t>(umem_->frames().count(FramePlace::kFree));
    refill(d, static_cast<std::uint32_t>(std::min<std::uint64_t>(room, avail)));
  }
}

std::uint32_t XskForwarder::tx_pending(Direction& d) {
  return cfg_.ring_size - xsk_prod_nb_free(d.tx->tx(), cfg_.ring_size);
}

void XskForwarder::kick_tx(Direction& d) {
  xsk_ring_prod* tx = d.tx->tx();
  std::uint32_t pending = tx_pending(d);
  std::uint32_t tries = pending / kKernelTxBudget + 2;
  while (pending != 0 && tries-- != 0) {
    if (cfg_.need_wakeup && !xsk_ring_prod__needs_wakeup(tx)) break;
    ++d.stats.tx_kicks;
    const std::uint64_t completed = d.stats.completions;
    if (sendto(d.tx->fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0) {
      const int err = errno;
      if (err != EAGAIN && err != EBUSY && err != ENOBUFS && err != EINTR) {
        throw_errno("sendto (AF_XDP TX kick)", d.tx_dev, err,
                    err == ENETDOWN || err == ENXIO
                        ? "bring the device up (ip link set dev " + d.tx_dev + " up)"
                        : "");
      }
      ++d.stats.tx_kicks_again;
      reap(d);  // a full completion ring stops the kernel's transmit
    }
    const std::uint32_t left = tx_pending(d);
    // The kernel took nothing and nothing completed: it is held up (the socket's send buffer,
    // a stopped device queue) and another kick now would be refused the same way.
    if (left == pending && d.stats.completions == completed) break;
    pending = left;
  }
}

std::size_t XskForwarder::forward(std::size_t max) {
  std::size_t done = forward(dirs_[0], max);
  for (std::size_t i = 1; i < dirs_.size() && done < max; ++i) done += forward(dirs_[i], max - done);
  return done;
}

std::size_t XskForwarder::forward(Direction& d, std::size_t max) {
  reap(d);
  refill();
  xsk_ring_prod* tx = d.tx->tx();
  const std::uint32_t room = xsk_prod_nb_free(tx, cfg_.ring_size);
  const auto want = static_cast<std::uint32_t>(std::min<std::size_t>({max, cfg_.batch, room}));
  if (want == 0) {
    kick_tx(d);
    return 0;
  }
  xsk_ring_cons* rx = d.rx->rx();
  const std::uint32_t backlog = xsk_cons_nb_avail(rx, cfg_.ring_size);
  d.stats.rx_backlog_max = std::max<std::uint64_t>(d.stats.rx_backlog_max, backlog);
  d.stats.fill_low = std::min(d.stats.fill_low, d.on_fill - backlog);
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_cons__peek(rx, want, &idx);
  if (got == 0) {
    if (tx_pending(d) != 0) kick_tx(d);
    return 0;
  }
  FrameAllocator& frames = umem_->frames();
  std::uint32_t n = 0;
  for (std::uint32_t i = 0; i < got; ++i) {
    const xdp_desc* desc = xsk_ring_cons__rx_desc(rx, idx + i);
    frames.move(desc->addr, FramePlace::kFill, FramePlace::kRx);
    if (desc->len < ETH_HLEN) {
      frames.move(desc->addr, FramePlace::kRx, FramePlace::kFree);
      ++d.stats.short_frames;
      continue;
    }
    // The only bytes the forwarder writes: destination and source MAC, in place in the UMEM.
    std::uint8_t* eth = umem_->at(desc->addr);
    std::memcpy(eth, d.dst_mac.bytes.data(), ETH_ALEN);
    std::memcpy(eth + ETH_ALEN, d.src_mac.bytes.data(), ETH_ALEN);
    addrs_[n] = desc->addr;
    lens_[n] = desc->len;
    ++n;
  }
  xsk_ring_cons__release(rx, got);
  d.on_fill -= got;
  d.stats.rx_frames += got;

  std::uint32_t tidx = 0;
  const std::uint32_t reserved = xsk_ring_prod__reserve(tx, n, &tidx);  // == n: room checked
  for (std::uint32_t i = 0; i < reserved; ++i) {
    frames.move(addrs_[i], FramePlace::kRx, FramePlace::kTx);
    xdp_desc* desc = xsk_ring_prod__tx_desc(tx, tidx + i);
    desc->addr = addrs_[i];  // same UMEM frame, same offset: the RX descriptor is the TX one
    desc->len = lens_[i];
    desc->options = 0;
  }
  if (reserved != 0) xsk_ring_prod__submit(tx, reserved);
  for (std::uint32_t i = reserved; i < n; ++i) frames.move(addrs_[i], FramePlace::kRx, FramePlace::kFree);
  d.stats.forwarded += reserved;
  forwarded_ += reserved;
  kick_tx(d);
  return reserved;
}

// Sleeps in poll(2) until a frame is on an RX ring (`rx`) or `timeout_ms` passed. Each
// direction's TX socket is polled too: in copy mode with need_wakeup the kernel transmits what is
// on its TX ring whenever poll(2) looks at it (xsk_poll), on entry and on every wakeup of that
// socket (sent frames freeing its send buffer). It asks for POLLOUT only while the TX ring is more
// than half full: the kernel reports POLLOUT as soon as the ring is at most half full, so below
// that it would end the sleep at once.
void XskForwarder::poll_sockets(int timeout_ms, bool rx) {
  std::array<pollfd, 2> pfd{};  // both ways use the same two sockets
  nfds_t n = 0;
  const auto add = [&](int fd, short events) {
    for (nfds_t i = 0; i < n; ++i) {
      if (pfd[i].fd == fd) {
        pfd[i].events = static_cast<short>(pfd[i].events | events);
        return;
      }
    }
    pfd[n++] = {fd, events, 0};
  };
  constexpr short kNone = 0, kIn = POLLIN, kOut = POLLOUT;
  for (Direction& d : dirs_) {
    add(d.rx->fd(), rx ? kIn : kNone);
    add(d.tx->fd(), tx_pending(d) > cfg_.ring_size / 2 ? kOut : kNone);
  }
  if (poll(pfd.data(), n, timeout_ms) < 0 && errno != EINTR) throw_errno("poll", cfg_.in_dev, errno);
}

void XskForwarder::wait(std::chrono::milliseconds timeout) {
  for (Direction& d : dirs_) {
    if (xsk_cons_nb_avail(d.rx->rx(), 1) != 0) return;  // frames to read
  }
  if (cfg_.wait != WaitPolicy::kPoll) return;  // spin: the caller looks at the rings again
  // Frames out on a TX ring: sleep, but not past the next look at them.
  int ms = static_cast<int>(timeout.count());
  if (umem_->frames().count(FramePlace::kTx) != 0) ms = std::min(ms, kTxRecheckMs);
  poll_sockets(ms, true);
}

void XskForwarder::finish(std::chrono::milliseconds timeout) {
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
  while (umem_->frames().count(FramePlace::kTx) != 0 && now_ns() < deadline) {
    for (Direction& d : dirs_) {
      kick_tx(d);
      reap(d);
    }
    // Sleep between looks (frames arriving now are not read).
    if (umem_->frames().count(FramePlace::kTx) != 0) poll_sockets(kTxRecheckMs, false);
  }
  refill();
}

Stats XskForwarder::totals() const {
  Stats t;
  for (const Direction& d : dirs_) t += d.stats;
  return t;
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
  j["rewrite"] = {{"dst_mac", dirs_[0].dst_mac.str()}, {"src_mac", dirs_[0].src_mac.str()}};
  if (cfg_.two_way) {
    j["rewrite_back"] = {{"dst_mac", dirs_[1].dst_mac.str()}, {"src_mac", dirs_[1].src_mac.str()}};
    j["back_steered_udp_port"] = cfg_.back_port();
    j["xdp_prog_id_back"] = steer_back_->prog_id();
  }
  // How the two sockets share the UMEM: socket 2's bind named socket 1's fd (the UMEM's) with
  // XDP_SHARED_UMEM, and the kernel accepted it although socket 2 never registered a UMEM of its
  // own (net/xdp/xsk.c xsk_bind refuses a socket without a UMEM unless it shares one).
  j["shared_umem"] = {{"first_socket", {{"dev", cfg_.in_dev}, {"fd", rx_sock_->fd()},
                                        {"rings", cfg_.two_way
                                                      ? nlohmann::json{"rx", "tx", "fill", "completion"}
                                                      : nlohmann::json{"rx", "fill", "completion"}}}},
                      {"second_socket", {{"dev", cfg_.out_dev}, {"fd", tx_sock_->fd()},
                                         {"bind_flags", "XDP_SHARED_UMEM"},
                                         {"shared_umem_fd", tx_sock_->shared_umem_fd()},
                                         {"rings", cfg_.two_way
                                                       ? nlohmann::json{"rx", "tx", "fill", "completion"}
                                                       : nlohmann::json{"tx", "fill", "completion"}}}},
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
  // Both ways together; per direction under "directions" when two-way.
  nlohmann::json j = to_json(totals());
  if (cfg_.two_way) {
    j["directions"] = nlohmann::json::object();
    for (const Direction& d : dirs_) j["directions"][d.name] = to_json(d.stats);
    j["steer_back"] = steer_back_->counters_json();
  }
  j.update(nlohmann::json{{"xdp_statistics_in", rx_sock_->statistics_json()},
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
                      {"invariant", ok ? "holds" : why}}}});
  return j;
}

}  // namespace

std::unique_ptr<Forwarder> make_xsk_forwarder(const XskForwarderConfig& cfg) {
  return std::make_unique<XskForwarder>(cfg);
}

}  // namespace copylab

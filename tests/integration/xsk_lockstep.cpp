#include "tests/integration/xsk_lockstep.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <sstream>
#include <thread>

#include "common/clock.hpp"
#include "netns/netns_scope.hpp"
#include "packet/payload.hpp"
#include "xdp/af_xdp_config.hpp"
#include "xdp/device.hpp"

namespace copylab::test {
namespace {

UmemConfig umem_config(const XskShape& s) {
  UmemConfig u;
  u.frame_size = 2048;
  u.frame_count = s.frames;
  u.fill_size = s.fill;
  u.comp_size = s.comp;
  return u;
}

XskOptions socket_options(const std::string& dev, const XskShape& s, bool rx) {
  XskOptions o;
  o.dev = dev;
  o.rx = rx;
  o.tx = !rx;
  o.rx_size = s.ring;
  o.tx_size = s.ring;
  o.need_wakeup = false;  // copy mode: RX runs in softirq regardless, TX only in the kick
  return o;
}

SteerOptions steer_options(const std::string& dev, XdpMode mode) {
  SteerOptions o;
  o.dev = dev;
  o.ifindex = ifindex_of(dev);
  o.mode = mode;
  o.dst_port = kLockstepPort;
  return o;
}

std::string ledger(const FrameAllocator& f) {
  std::ostringstream s;
  s << "frames free " << f.count(FramePlace::kFree) << " fill " << f.count(FramePlace::kFill)
    << " rx " << f.count(FramePlace::kRx) << " tx " << f.count(FramePlace::kTx);
  return s.str();
}

std::uint32_t load(const std::uint32_t* index) { return __atomic_load_n(index, __ATOMIC_ACQUIRE); }

}  // namespace

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

std::string to_string(const xdp_statistics& st) {
  std::ostringstream s;
  s << "rx_dropped " << st.rx_dropped << ", rx_invalid_descs " << st.rx_invalid_descs
    << ", rx_ring_full " << st.rx_ring_full << ", rx_fill_ring_empty_descs "
    << st.rx_fill_ring_empty_descs << ", tx_invalid_descs " << st.tx_invalid_descs
    << ", tx_ring_empty_descs " << st.tx_ring_empty_descs;
  return s.str();
}

// ---- receiver

XskRx::XskRx(const TopologyConfig& t, XdpMode mode, const XskShape& s)
    : umem_(umem_config(s)),
      xsk_(umem_, socket_options(t.dev_b, s, /*rx=*/true)),
      steer_(steer_options(t.dev_b, mode)) {
  xsk_.register_in(steer_.xsks_map_fd());
}

std::unique_ptr<XskRx> XskRx::create(const TopologyConfig& t, XdpMode mode, const XskShape& s) {
  NetnsScope in_b(t.ns_b);
  return std::make_unique<XskRx>(t, mode, s);
}

std::uint32_t XskRx::post_fill(std::uint32_t n) { return umem_.refill(n); }

std::uint32_t XskRx::produced() const {
  return load(const_cast<XskSocket&>(xsk_).rx()->producer);
}

std::vector<std::uint64_t> XskRx::read(std::uint32_t max) {
  xsk_ring_cons* rx = xsk_.rx();
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_cons__peek(rx, max, &idx);
  std::vector<std::uint64_t> seqs;
  for (std::uint32_t i = 0; i < got; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(rx, idx + i);
    umem_.frames().move(d->addr, FramePlace::kFill, FramePlace::kRx);
    read_addrs_.push_back(d->addr);
    const auto parsed = parse_frame({umem_.at(d->addr), d->len});
    PayloadHeader h;
    seqs.push_back(parsed && read_payload(parsed->payload, h) == PayloadStatus::kOk ? h.seq
                                                                                   : kNotOurs);
  }
  if (got != 0) xsk_ring_cons__release(rx, got);
  return seqs;
}

std::uint32_t XskRx::recycle_read() {
  xsk_ring_prod& fq = umem_.fill_ring();
  const auto n = static_cast<std::uint32_t>(read_addrs_.size());
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_prod__reserve(&fq, n, &idx);
  for (std::uint32_t i = 0; i < got; ++i) {
    umem_.frames().move(read_addrs_[i], FramePlace::kRx, FramePlace::kFill);
    *xsk_ring_prod__fill_addr(&fq, idx + i) = umem_.frames().base_of(read_addrs_[i]);
  }
  if (got != 0) xsk_ring_prod__submit(&fq, got);
  read_addrs_.erase(read_addrs_.begin(), read_addrs_.begin() + got);
  return got;
}

std::uint64_t XskRx::redirected() const { return steer_.counters()[STEER_REDIRECTED]; }

std::string XskRx::describe() const {
  return "receiver: RX ring produced " + std::to_string(produced()) + "; " +
         to_string(stats()) + "; " + ledger(frames()) + "; steer redirected " +
         std::to_string(redirected());
}

// ---- sender

XskTx::XskTx(const TopologyConfig& t, const XskShape& s)
    : umem_(umem_config(s)),
      xsk_(umem_, socket_options(t.dev_a, s, /*rx=*/false)),
      spec_{t.mac_a, t.mac_b, t.ip_a, t.ip_b, 9000, kLockstepPort, 64} {}

std::unique_ptr<XskTx> XskTx::create(const TopologyConfig& t, const XskShape& s) {
  NetnsScope in_a(t.ns_a);
  return std::make_unique<XskTx>(t, s);
}

std::optional<xdp_desc> XskTx::build(std::uint64_t seq, std::uint32_t offset) {
  const auto base = umem_.frames().take_free(FramePlace::kTx);
  if (!base) return std::nullopt;
  const std::size_t len = frame_len(kLockstepPayload);
  const std::span<std::uint8_t> frame(umem_.at(*base + offset), len);
  write_payload(frame_payload(frame), seq, now_ns());
  finalize_frame(frame, spec_, kLockstepPayload, ip_id_++);
  return xdp_desc{*base + offset, static_cast<std::uint32_t>(len), 0};
}

bool XskTx::post(std::span<const xdp_desc> descs) {
  xsk_ring_prod* tx = xsk_.tx();
  std::uint32_t idx = 0;
  const auto n = static_cast<std::uint32_t>(descs.size());
  if (xsk_ring_prod__reserve(tx, n, &idx) != n) return false;
  for (std::uint32_t i = 0; i < n; ++i) *xsk_ring_prod__tx_desc(tx, idx + i) = descs[i];
  xsk_ring_prod__submit(tx, n);
  return true;
}

int XskTx::kick() {
  return sendto(xsk_.fd(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 ? errno : 0;
}

std::uint32_t XskTx::posted() const { return load(const_cast<XskSocket&>(xsk_).tx()->producer); }
std::uint32_t XskTx::consumed() const { return load(const_cast<XskSocket&>(xsk_).tx()->consumer); }

std::uint32_t XskTx::completions_ready() {
  xsk_ring_cons& cq = umem_.completion_ring();
  return load(cq.producer) - *cq.consumer;
}

std::vector<std::uint64_t> XskTx::reap() {
  xsk_ring_cons& cq = umem_.completion_ring();
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_cons__peek(&cq, umem_.config().comp_size, &idx);
  std::vector<std::uint64_t> addrs;
  for (std::uint32_t i = 0; i < got; ++i) {
    const std::uint64_t addr = *xsk_ring_cons__comp_addr(&cq, idx + i);
    if (addr < umem_bytes()) {  // an invalid descriptor's address may lie outside the UMEM
      umem_.frames().move(addr, FramePlace::kTx, FramePlace::kCompletion);
      umem_.frames().move(addr, FramePlace::kCompletion, FramePlace::kFree);
    }
    addrs.push_back(addr);
  }
  if (got != 0) xsk_ring_cons__release(&cq, got);
  return addrs;
}

void XskTx::release_skipped(std::uint64_t addr) {
  umem_.frames().move(addr, FramePlace::kTx, FramePlace::kFree);
}

std::uint64_t XskTx::umem_bytes() const {
  return static_cast<std::uint64_t>(umem_.config().frame_count) * umem_.config().frame_size;
}

std::string XskTx::describe() {
  return "sender: TX ring posted " + std::to_string(posted()) + " consumed " +
         std::to_string(consumed()) + ", completions ready " +
         std::to_string(completions_ready()) + "; " + to_string(stats()) + "; " +
         ledger(frames());
}

}  // namespace copylab::test

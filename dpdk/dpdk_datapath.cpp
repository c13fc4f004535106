// The DPDK datapath's frame-moving operations: frames built and parsed in place in mbufs of the
// pool the PMD uses as its UMEM, moved with rte_eth_tx_burst / rte_eth_rx_burst.
#include "dpdk/dpdk_datapath.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"
#include "dpdk/dpdk_datapath_impl.hpp"

namespace copylab {
namespace dpdk_detail {
namespace {

std::span<std::uint8_t> mbuf_bytes(rte_mbuf* m) {
  return {static_cast<std::uint8_t*>(m->buf_addr) + m->data_off, m->data_len};
}

// The experiment's flow, read from the raw bytes so that a frame of the flow that fails to
// parse (truncated, bad lengths) still counts as corrupt rather than foreign: Ethernet type
// IPv4, IP protocol UDP, UDP destination port `port` (no IP options, as copylab sends).
bool of_flow(std::span<const std::uint8_t> f, std::uint16_t port) {
  constexpr std::size_t kEtherType = 12;
  constexpr std::size_t kIpProto = kEthHeaderLen + 9;
  constexpr std::size_t kUdpDst = kEthHeaderLen + kIpv4HeaderLen + 2;
  if (f.size() < kUdpDst + 2) return false;
  return f[kEtherType] == 0x08 && f[kEtherType + 1] == 0x00 && f[kIpProto] == 17 &&
         ((f[kUdpDst] << 8) | f[kUdpDst + 1]) == port;
}

}  // namespace

DpdkDatapath::DpdkDatapath(const DpdkConfig& cfg)
    : cfg_(cfg), port_(std::make_unique<DpdkPort>(cfg)) {
  pending_.reserve(cfg_.ring_size);
  stash_.resize(cfg_.batch);
  stash_.clear();
  scratch_.resize(std::max<std::size_t>(cfg_.batch, cfg_.ring_size));
}

DpdkDatapath::~DpdkDatapath() {
  free_stash();
  if (!pending_.empty()) rte_pktmbuf_free_bulk(pending_.data(), static_cast<unsigned>(pending_.size()));
  pending_.clear();
}

void DpdkDatapath::free_stash() noexcept {
  for (std::size_t i = stash_pos_; i < stash_.size(); ++i) rte_pktmbuf_free(stash_[i]);
  stash_.clear();
  stash_pos_ = 0;
}

void DpdkDatapath::push_pending() {
  if (pending_.empty()) return;
  const auto offered = static_cast<std::uint16_t>(std::min<std::size_t>(pending_.size(), UINT16_MAX));
  const std::uint16_t took = rte_eth_tx_burst(port_->id(), 0, pending_.data(), offered);
  count_tx_pools(pending_.data(), took);
  stats_.tx_frames += took;
  if (took < offered) ++stats_.tx_bursts_short;
  pending_.erase(pending_.begin(), pending_.begin() + took);
}

// After rte_eth_tx_burst: the mbufs it took keep their pool field (a freed mbuf returns to its
// pool unchanged), so the pool each was sent from can still be read.
void DpdkDatapath::count_tx_pools(rte_mbuf* const* mbufs, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    (mbufs[i]->pool == port_->pool() ? stats_.tx_umem_pool : stats_.tx_other_pool)++;
  }
}

std::size_t DpdkDatapath::send(std::size_t n, PayloadFill fill) {
  if (!cfg_.tx || n == 0) return 0;
  push_pending();
  const std::size_t room = cfg_.ring_size > pending_.size() ? cfg_.ring_size - pending_.size() : 0;
  n = std::min({n, cfg_.batch, room});
  if (n == 0) return 0;
  // From the PMD's own pool: af_xdp_tx_zc sends an mbuf of its UMEM pool by descriptor and
  // copies any other mbuf into one (drivers/net/af_xdp/rte_eth_af_xdp.c).
  if (rte_pktmbuf_alloc_bulk(port_->pool(), scratch_.data(), static_cast<unsigned>(n)) != 0) {
    ++stats_.tx_alloc_failures;
    return 0;
  }
  const std::size_t flen = frame_len(cfg_.payload_size);
  for (std::size_t i = 0; i < n; ++i) {
    rte_mbuf* m = scratch_[i];
    char* at = rte_pktmbuf_append(m, static_cast<std::uint16_t>(flen));
    if (at == nullptr) {  // validate() keeps frames within the data room
      rte_pktmbuf_free_bulk(scratch_.data() + i, static_cast<unsigned>(n - i));
      throw Error("an mbuf has no room for a " + std::to_string(flen) + " B frame", "use a smaller --size");
    }
    const std::span<std::uint8_t> frame = mbuf_bytes(m);
    fill(frame_payload(frame));
    finalize_frame(frame, cfg_.frame, cfg_.payload_size, ip_id_++);
    pending_.push_back(m);
  }
  push_pending();
  return n;
}

std::size_t DpdkDatapath::flush() {
  if (!cfg_.tx) return 0;
  push_pending();
  return pending_.size();
}

std::optional<std::span<std::uint8_t>> DpdkDatapath::classify(rte_mbuf* m) {
  const std::span<std::uint8_t> frame = mbuf_bytes(m);
  if (!of_flow(frame, cfg_.flow_port())) {
    ++stats_.rx_foreign;
    return std::nullopt;
  }
  ++stats_.rx_frames;
  stats_.rx_bytes += frame.size();
  const auto parsed = parse_frame(frame);
  if (!parsed) {
    ++stats_.rx_parse_failures;
    return std::span<std::uint8_t>{};
  }
  if (!parsed->ip_checksum_ok) {
    ++stats_.ip_csum_bad;
    return std::span<std::uint8_t>{};
  }
  if (parsed->udp_checksum == UdpChecksum::kBad) {
    ++stats_.udp_csum_bad;
    return std::span<std::uint8_t>{};
  }
  const std::size_t off = static_cast<std::size_t>(parsed->payload.data() - frame.data());
  return frame.subspan(off, parsed->payload.size());
}

std::size_t DpdkDatapath::poll_rx(std::size_t max) {
  if (stash_pos_ < stash_.size()) return stash_.size() - stash_pos_;
  stash_.resize(std::min(max, cfg_.batch));
  stash_pos_ = 0;
  const std::uint16_t got = rte_eth_rx_burst(port_->id(), 0, stash_.data(),
                                             static_cast<std::uint16_t>(stash_.size()));
  stash_.resize(got);
  if (got == 0) ++stats_.rx_bursts_empty;
  for (const rte_mbuf* m : stash_) {
    (m->data_off == RTE_PKTMBUF_HEADROOM ? stats_.rx_default_offset : stats_.rx_kernel_offset)++;
    stats_.rx_last_data_off = m->data_off;
  }
  return got;
}

std::size_t DpdkDatapath::receive(std::size_t max, PayloadSink sink) {
  if (!cfg_.rx || max == 0) return 0;
  std::size_t handed = 0;
  const std::size_t have = std::min(poll_rx(max), max);
  for (std::size_t i = 0; i < have; ++i) {
    rte_mbuf* m = stash_[stash_pos_++];
    if (const auto payload = classify(m)) {
      sink(*payload);
      ++handed;
    }
    rte_pktmbuf_free(m);
  }
  return handed;
}

std::size_t DpdkDatapath::echo(std::size_t max, PayloadSink seen) {
  if (!cfg_.rx || !cfg_.tx) {
    throw Error("echo needs a DPDK datapath with both RX and TX", "enable rx and tx");
  }
  const std::size_t have = std::min(poll_rx(max), max);
  std::size_t out = 0;
  for (std::size_t i = 0; i < have; ++i) {
    rte_mbuf* m = stash_[stash_pos_++];
    const auto payload = classify(m);
    if (!payload || payload->empty()) {
      if (payload) seen({});
      rte_pktmbuf_free(m);
      continue;
    }
    seen(*payload);
    reflect_frame(mbuf_bytes(m));  // in place, in the mbuf the PMD received into
    scratch_[out++] = m;
  }
  const auto took = rte_eth_tx_burst(port_->id(), 0, scratch_.data(), static_cast<std::uint16_t>(out));
  count_tx_pools(scratch_.data(), took);
  stats_.tx_frames += took;
  stats_.echoed += took;
  if (took < out) {
    stats_.echo_dropped += out - took;
    rte_pktmbuf_free_bulk(scratch_.data() + took, static_cast<unsigned>(out - took));
  }
  return took;
}

bool DpdkDatapath::wait_rx(std::chrono::milliseconds timeout) {
  const std::uint64_t deadline =
      now_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
  if (!cfg_.rx) {
    while (now_ns() < deadline && !stop_requested()) flush();
    return false;
  }
  // The PMD has no receive interrupt: poll (with --wait busy-poll each empty burst also runs
  // the kernel's busy-poll loop through recvfrom, af_xdp_rx_zc).
  for (std::uint32_t spins = 0;; ++spins) {
    if (poll_rx(cfg_.batch) != 0) return true;
    if ((spins & 255U) == 0 && (stop_requested() || now_ns() >= deadline)) return false;
  }
}

}  // namespace dpdk_detail

std::unique_ptr<Datapath> make_dpdk_datapath(const DpdkConfig& cfg) {
  return std::make_unique<dpdk_detail::DpdkDatapath>(cfg);
}

}  // namespace copylab

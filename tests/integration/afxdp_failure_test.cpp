// AF_XDP failure cases against the real kernel, in the manner of the kernel's own AF_XDP
// selftests (tools/testing/selftests/bpf/xskxceiver.c): a starved fill ring, a full RX ring, a
// sender that does not drain its completion ring, and invalid TX descriptors. Each case runs in
// its own namespaces (netns/ Topology), drives both sockets in lock-step (xsk_lockstep.hpp), and
// accounts for every frame: sent = received + the drops the kernel counted (XDP_STATISTICS),
// and every UMEM frame is in exactly one place (FrameAllocator moves throw on a frame coming
// back from the wrong place, i.e. lost or duplicated).
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <ostream>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "netns/topology.hpp"
#include "tests/integration/xsk_lockstep.hpp"

using namespace copylab;
using namespace copylab::test;

namespace {

const int kLogging = (setup_logging(0), 0);

constexpr std::uint32_t kBatch = 16;  // frames per kick: below the kernel's TX budget of 32

std::vector<std::uint64_t> iota(std::uint64_t first, std::uint64_t count) {
  std::vector<std::uint64_t> v(count);
  std::iota(v.begin(), v.end(), first);
  return v;
}

// What reached the receiving socket, delivered or dropped, by the kernel's own counts.
std::uint64_t accounted(const XskRx& rx) {
  const xdp_statistics st = rx.stats();
  return rx.produced() + st.rx_dropped + st.rx_ring_full;
}

// Sends `n` valid frames (payload seqs from `seq` on), kBatch per kick; after each batch waits
// until the kernel has taken every descriptor, completed every frame and accounted for it at the
// receiver. Returns false (with a failure naming the stuck counter) if that does not happen.
bool send_lockstep(XskTx& tx, XskRx& rx, std::uint64_t n, std::uint64_t& seq,
                   std::uint64_t& total_sent) {
  for (std::uint64_t done = 0; done < n;) {
    std::vector<xdp_desc> batch;
    while (batch.size() < kBatch && done + batch.size() < n) {
      const auto d = tx.build(seq + batch.size());
      if (!d) break;
      batch.push_back(*d);
    }
    if (batch.empty() || !tx.post(batch)) {
      ADD_FAILURE() << "sender has no room for a batch: " << tx.describe();
      return false;
    }
    seq += batch.size();
    done += batch.size();
    total_sent += batch.size();
    for (int kicks = 0; kicks < 100 && tx.consumed() != tx.posted(); ++kicks) tx.kick();
    if (tx.consumed() != tx.posted()) {
      ADD_FAILURE() << "TX ring not drained after 100 kicks: " << tx.describe();
      return false;
    }
    if (!wait_until([&] { return tx.completions_ready() == batch.size(); })) {
      ADD_FAILURE() << "completions missing: " << tx.describe();
      return false;
    }
    tx.reap();
    if (!wait_until([&] { return accounted(rx) == total_sent; })) {
      ADD_FAILURE() << "sent " << total_sent << " but the receiver accounts for " << accounted(rx)
                    << ": " << rx.describe();
      return false;
    }
  }
  return true;
}

// Reads everything on the RX ring.
std::vector<std::uint64_t> read_all(XskRx& rx) {
  std::vector<std::uint64_t> all;
  for (std::vector<std::uint64_t> got; !(got = rx.read(64)).empty();) {
    all.insert(all.end(), got.begin(), got.end());
  }
  return all;
}

void expect_ledger_sound(const FrameAllocator& f) {
  std::string why;
  EXPECT_TRUE(f.check_invariant(&why)) << why;
}

std::pair<int, int> kernel_version() {
  utsname u{};
  uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  return {major, minor};
}

// ---------------------------------------------------------------- (1) fill-ring starvation

struct StarvationRow {
  const char* name;
  XdpMode mode;
  std::uint32_t posted;  // fill descriptors the receiver posts, and never refills
  std::uint32_t sent;
};
void PrintTo(const StarvationRow& r, std::ostream* os) { *os << r.name; }

class XskFillStarvation : public ::testing::TestWithParam<StarvationRow> {};

// net/xdp/xsk.c __xsk_rcv: xsk_buff_alloc() finds the fill ring empty (xsk_buff_pool.c counts
// fq->queue_empty_descs, read back as rx_fill_ring_empty_descs) and the frame is dropped
// (rx_dropped). Both count every frame beyond the posted ones; the RX ring is never full.
TEST_P(XskFillStarvation, ReceivesExactlyThePostedFramesAndCountsTheRest) {
  const StarvationRow row = GetParam();
  Topology topo = Topology::create_unique("xfs");
  const TopologyConfig t = topo.config();
  auto rx = XskRx::create(t, row.mode, {.frames = 64, .fill = 64, .comp = 64, .ring = 64});
  auto tx = XskTx::create(t, {.frames = 64, .fill = 64, .comp = 64, .ring = 64});
  ASSERT_EQ(rx->post_fill(row.posted), row.posted);

  std::uint64_t seq = 0, sent = 0;
  ASSERT_TRUE(send_lockstep(*tx, *rx, row.sent, seq, sent));
  const xdp_statistics st = rx->stats();
  const std::uint64_t missing = row.sent - row.posted;
  EXPECT_EQ(rx->produced(), row.posted) << rx->describe();
  EXPECT_EQ(st.rx_dropped, missing) << rx->describe();
  EXPECT_EQ(st.rx_fill_ring_empty_descs, missing) << rx->describe();
  EXPECT_EQ(st.rx_ring_full, 0U) << rx->describe();
  EXPECT_EQ(st.rx_invalid_descs, 0U);
  EXPECT_EQ(rx->redirected(), row.sent);  // every frame reached the socket's redirect
  EXPECT_EQ(read_all(*rx), iota(0, row.posted));  // the first frames, in order, once each
  EXPECT_EQ(rx->frames().count(FramePlace::kFill), 0U);
  EXPECT_EQ(rx->frames().count(FramePlace::kRx), row.posted);

  // Refilled, the socket receives again and no counter moves.
  rx->recycle_read();
  const std::uint32_t more = row.posted + rx->post_fill(8);
  ASSERT_TRUE(send_lockstep(*tx, *rx, more, seq, sent));
  EXPECT_EQ(read_all(*rx), iota(row.sent, more));
  const xdp_statistics after = rx->stats();
  EXPECT_EQ(after.rx_dropped, missing);
  EXPECT_EQ(after.rx_fill_ring_empty_descs, missing);
  EXPECT_EQ(rx->produced() + after.rx_dropped, sent);
  EXPECT_EQ(tx->frames().count(FramePlace::kFree), 64U);  // every sent frame completed
  expect_ledger_sound(rx->frames());
  expect_ledger_sound(tx->frames());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, XskFillStarvation,
    ::testing::Values(StarvationRow{"native_16_of_48", XdpMode::kNative, 16, 48},
                      StarvationRow{"generic_16_of_48", XdpMode::kGeneric, 16, 48},
                      StarvationRow{"native_none_posted", XdpMode::kNative, 0, 20},
                      StarvationRow{"native_exactly_enough", XdpMode::kNative, 32, 32}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------- (2) RX ring full

struct RingFullRow {
  const char* name;
  XdpMode mode;
  std::uint32_t rx_ring;
  std::uint32_t posted;  // more than the RX ring holds, so the fill ring never runs dry
  std::uint32_t sent;
};
void PrintTo(const RingFullRow& r, std::ostream* os) { *os << r.name; }

class XskRxRingFull : public ::testing::TestWithParam<RingFullRow> {};

// net/xdp/xsk.c __xsk_rcv_zc: xskq_prod_reserve_desc() finds the RX ring full and counts
// rx_queue_full (XDP_STATISTICS rx_ring_full); the buffer goes back to the pool, so the fill
// ring does not run dry and rx_dropped stays 0.
TEST_P(XskRxRingFull, HoldsTheRingAndCountsEveryFrameBeyondIt) {
  const RingFullRow row = GetParam();
  Topology topo = Topology::create_unique("xrf");
  const TopologyConfig t = topo.config();
  auto rx = XskRx::create(t, row.mode, {.frames = 64, .fill = 64, .comp = 64, .ring = row.rx_ring});
  auto tx = XskTx::create(t, {.frames = 64, .fill = 64, .comp = 64, .ring = 64});
  ASSERT_EQ(rx->post_fill(row.posted), row.posted);

  std::uint64_t seq = 0, sent = 0;
  ASSERT_TRUE(send_lockstep(*tx, *rx, row.sent, seq, sent));  // nobody reads the RX ring
  const xdp_statistics st = rx->stats();
  EXPECT_EQ(rx->produced(), row.rx_ring) << rx->describe();
  EXPECT_EQ(st.rx_ring_full, row.sent - row.rx_ring) << rx->describe();
  EXPECT_EQ(st.rx_dropped, 0U) << rx->describe();
  EXPECT_EQ(st.rx_fill_ring_empty_descs, 0U) << rx->describe();
  EXPECT_EQ(rx->redirected(), row.sent);
  EXPECT_EQ(read_all(*rx), iota(0, row.rx_ring));

  // Read and recycled, the ring takes frames again; the full count stays where it was.
  rx->recycle_read();
  ASSERT_TRUE(send_lockstep(*tx, *rx, 8, seq, sent));
  EXPECT_EQ(read_all(*rx), iota(row.sent, 8));
  EXPECT_EQ(rx->stats().rx_ring_full, row.sent - row.rx_ring);
  EXPECT_EQ(rx->produced() + rx->stats().rx_ring_full, sent);
  expect_ledger_sound(rx->frames());
  expect_ledger_sound(tx->frames());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, XskRxRingFull,
    ::testing::Values(RingFullRow{"native_ring16_sent40", XdpMode::kNative, 16, 32, 40},
                      RingFullRow{"generic_ring16_sent40", XdpMode::kGeneric, 16, 32, 40},
                      RingFullRow{"native_ring32_sent48", XdpMode::kNative, 32, 48, 48}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------- (3) completion backlog

struct BacklogRow {
  const char* name;
  std::uint32_t comp;    // completion ring entries
  std::uint32_t frames;  // sender UMEM frames
  std::uint32_t sent;
  std::uint32_t stall;   // frames that leave before TX stops: min(comp, frames)
};
void PrintTo(const BacklogRow& r, std::ostream* os) { *os << r.name; }

class XskCompletionBacklog : public ::testing::TestWithParam<BacklogRow> {};

// Copy-mode transmit (net/xdp/xsk.c __xsk_generic_xmit) reserves a completion-ring slot before
// it builds each skb and stops when none is free; the slot is filled when the skb is freed. A
// sender that never reaps completions therefore stalls after min(completion ring, UMEM frames)
// frames, loses none, and goes on once it reaps.
TEST_P(XskCompletionBacklog, StallsWhenSlotsOrFramesRunOutThenDrainsWithoutLossOrDuplicates) {
  const BacklogRow row = GetParam();
  Topology topo = Topology::create_unique("xcb");
  const TopologyConfig t = topo.config();
  auto rx = XskRx::create(t, XdpMode::kNative, {.frames = 128, .fill = 128, .comp = 64, .ring = 128});
  ASSERT_EQ(rx->post_fill(128), 128U);
  auto tx = XskTx::create(t, {.frames = row.frames, .fill = 64, .comp = row.comp, .ring = 64});

  // Phase 1: post what the UMEM allows, kick until nothing moves, never reap.
  std::vector<xdp_desc> descs;
  std::uint64_t seq = 0;
  while (descs.size() < row.sent) {
    const auto d = tx->build(seq);
    if (!d) break;
    descs.push_back(*d);
    ++seq;
  }
  ASSERT_EQ(descs.size(), std::min(row.frames, row.sent));
  ASSERT_TRUE(tx->post(descs));
  std::uint32_t last = UINT32_MAX;
  for (int kicks = 0; kicks < 64 && tx->consumed() != last; ++kicks) {
    last = tx->consumed();
    tx->kick();
    wait_until([&] { return rx->produced() == tx->consumed(); });
  }
  EXPECT_EQ(tx->consumed(), row.stall) << tx->describe();
  EXPECT_EQ(tx->posted() - tx->consumed(), descs.size() - row.stall);  // still queued, not lost
  ASSERT_TRUE(wait_until([&] { return rx->produced() == row.stall; })) << rx->describe();
  ASSERT_TRUE(wait_until([&] { return tx->completions_ready() == row.stall; })) << tx->describe();
  for (int i = 0; i < 3; ++i) tx->kick();  // still stalled: nothing more leaves
  EXPECT_EQ(tx->consumed(), row.stall);
  EXPECT_EQ(rx->produced(), row.stall);
  EXPECT_EQ(tx->frames().count(FramePlace::kFree), 0U);

  // Phase 2: reap, refill the TX ring from the reaped frames, kick, until every frame is out.
  std::vector<std::uint64_t> completed;
  std::uint64_t posted = descs.size();
  for (int round = 0; round < 64 && completed.size() < row.sent; ++round) {
    for (const std::uint64_t a : tx->reap()) completed.push_back(a);
    std::vector<xdp_desc> more;
    while (posted + more.size() < row.sent) {
      const auto d = tx->build(seq);
      if (!d) break;
      more.push_back(*d);
      ++seq;
    }
    if (!more.empty()) {
      ASSERT_TRUE(tx->post(more)) << tx->describe();
      posted += more.size();
    }
    for (int kicks = 0; kicks < 16 && tx->consumed() != tx->posted(); ++kicks) tx->kick();
    wait_until([&] { return tx->completions_ready() + completed.size() ==
                            static_cast<std::size_t>(tx->consumed()); });
  }
  for (const std::uint64_t a : tx->reap()) completed.push_back(a);
  EXPECT_EQ(completed.size(), row.sent) << tx->describe();
  ASSERT_TRUE(wait_until([&] { return accounted(*rx) == row.sent; })) << rx->describe();
  EXPECT_EQ(read_all(*rx), iota(0, row.sent));  // each frame once, in order
  const xdp_statistics st = rx->stats();
  EXPECT_EQ(st.rx_dropped + st.rx_ring_full, 0U) << rx->describe();
  EXPECT_EQ(tx->stats().tx_invalid_descs, 0U);
  EXPECT_EQ(tx->frames().count(FramePlace::kFree), row.frames);  // all back, none twice
  expect_ledger_sound(tx->frames());
  expect_ledger_sound(rx->frames());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, XskCompletionBacklog,
    ::testing::Values(BacklogRow{"completion_ring_full", 16, 32, 48, 16},
                      BacklogRow{"umem_frames_exhausted", 64, 16, 48, 16},
                      BacklogRow{"ring_equals_frames", 32, 32, 80, 32}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------- (4) invalid TX descriptors

enum class Desc {
  kValid,
  kValidOffset,    // valid, 512 bytes into its frame
  kBeyondUmem,     // addr = UMEM size: no such frame
  kLongerThanFrame,// len = frame size + 1
  kZeroLength,
  kCrossesFrame,   // starts 32 bytes before the end of its frame, 106 bytes long
  kUnknownOption,  // options bit no kernel defines
};

bool is_valid(Desc d) { return d == Desc::kValid || d == Desc::kValidOffset; }

struct InvalidRow {
  const char* name;
  std::vector<Desc> descs;
  std::pair<int, int> min_kernel{0, 0};  // where the kernel's check is known to exist
};
void PrintTo(const InvalidRow& r, std::ostream* os) { *os << r.name; }

class XskInvalidTxDescs : public ::testing::TestWithParam<InvalidRow> {};

// Descriptor checks of net/xdp/xsk_queue.h (xp_aligned_validate_desc, via xskq_cons_peek_desc):
// each failing descriptor is counted once in tx_invalid_descs and never transmitted; the valid
// ones around it are sent, completed and received in order.
TEST_P(XskInvalidTxDescs, CountsExactlyTheInvalidOnesAndSendsTheRest) {
  const InvalidRow row = GetParam();
  if (kernel_version() < row.min_kernel) {
    GTEST_SKIP() << "this kernel predates the check (needs " << row.min_kernel.first << "."
                 << row.min_kernel.second << ")";
  }
  Topology topo = Topology::create_unique("xid");
  const TopologyConfig t = topo.config();
  auto rx = XskRx::create(t, XdpMode::kNative, {.frames = 64, .fill = 64, .comp = 64, .ring = 64});
  ASSERT_EQ(rx->post_fill(64), 64U);
  auto tx = XskTx::create(t, {.frames = 32, .fill = 64, .comp = 64, .ring = 32});

  std::vector<xdp_desc> descs;
  std::vector<std::uint64_t> valid_seqs, valid_addrs, skipped_frames;
  std::uint64_t next_valid = 0, next_invalid = 1'000'000;  // an invalid one arriving would show
  std::size_t invalid = 0;
  for (const Desc kind : row.descs) {
    const std::uint32_t offset = kind == Desc::kValidOffset ? 512U : 0U;
    const bool valid = is_valid(kind);
    auto d = tx->build(valid ? next_valid++ : next_invalid++, offset);
    ASSERT_TRUE(d.has_value());
    const std::uint64_t base = d->addr - offset;
    switch (kind) {
      case Desc::kValid:
      case Desc::kValidOffset: valid_seqs.push_back(next_valid - 1); valid_addrs.push_back(d->addr); break;
      case Desc::kBeyondUmem: tx->release_skipped(base); d->addr = tx->umem_bytes(); break;
      case Desc::kLongerThanFrame: d->len = tx->frame_size() + 1; break;
      case Desc::kZeroLength: d->len = 0; break;
      case Desc::kCrossesFrame: d->addr = base + tx->frame_size() - 32; break;
      case Desc::kUnknownOption: d->options = 1U << 7; break;
    }
    if (!valid) ++invalid;
    if (!valid && kind != Desc::kBeyondUmem) skipped_frames.push_back(base);
    descs.push_back(*d);
  }
  ASSERT_TRUE(tx->post(descs));
  // Kernels differ in how far one kick gets past an invalid descriptor (6.18 stops at each);
  // kick until the ring is consumed, bounded.
  for (std::size_t kicks = 0; kicks < descs.size() + 4 && tx->consumed() != tx->posted(); ++kicks) {
    tx->kick();
  }
  ASSERT_EQ(tx->consumed(), tx->posted()) << tx->describe();
  // Native XDP on veth frees the sent skb (its completion) before the frame reaches the socket,
  // so once every valid frame is accounted for at the receiver, every valid completion is there.
  ASSERT_TRUE(wait_until([&] { return accounted(*rx) == valid_seqs.size(); })) << rx->describe();
  ASSERT_TRUE(wait_until([&] { return tx->completions_ready() >= valid_addrs.size(); }))
      << tx->describe();
  if (tx->completions_ready() > valid_addrs.size()) {
    wait_until([&] { return tx->completions_ready() == descs.size(); });
  }

  EXPECT_EQ(tx->stats().tx_invalid_descs, invalid) << tx->describe();
  EXPECT_EQ(read_all(*rx), valid_seqs);  // only the valid ones, in order, once each
  EXPECT_EQ(rx->stats().rx_dropped + rx->stats().rx_ring_full, 0U) << rx->describe();
  EXPECT_EQ(rx->redirected(), valid_seqs.size());
  // Which completions come back depends on the kernel: older ones skip an invalid descriptor
  // silently, newer ones (this 6.18) also return its address on the completion ring so user
  // space gets the frame back. Either way the set is exact: no frame lost or returned twice.
  std::vector<std::uint64_t> completed = tx->reap();
  std::sort(completed.begin(), completed.end());
  std::vector<std::uint64_t> every_addr;
  for (const xdp_desc& d : descs) every_addr.push_back(d.addr);
  std::sort(every_addr.begin(), every_addr.end());
  std::sort(valid_addrs.begin(), valid_addrs.end());
  if (completed.size() == descs.size()) {
    EXPECT_EQ(completed, every_addr);
  } else {
    EXPECT_EQ(completed, valid_addrs);  // skipped descriptors never complete: return them here
    EXPECT_EQ(tx->frames().count(FramePlace::kTx), skipped_frames.size());
    for (const std::uint64_t base : skipped_frames) tx->release_skipped(base);
  }
  EXPECT_EQ(tx->completions_ready(), 0U);
  EXPECT_EQ(tx->frames().count(FramePlace::kFree), 32U);
  expect_ledger_sound(tx->frames());

  // Every kick on an empty TX ring counts one tx_ring_empty_descs.
  const std::uint64_t empty_before = tx->stats().tx_ring_empty_descs;
  for (int i = 0; i < 3; ++i) tx->kick();
  EXPECT_EQ(tx->stats().tx_ring_empty_descs, empty_before + 3);
  EXPECT_EQ(tx->stats().tx_invalid_descs, invalid);
}

using D = Desc;
INSTANTIATE_TEST_SUITE_P(
    Rows, XskInvalidTxDescs,
    ::testing::Values(
        InvalidRow{"addr_beyond_umem", {D::kValid, D::kBeyondUmem, D::kValid}},
        InvalidRow{"len_longer_than_frame", {D::kValid, D::kLongerThanFrame, D::kValid}},
        // xp_aligned_validate_desc rejects len 0 at least since 6.6; older kernels took it.
        InvalidRow{"len_zero", {D::kValid, D::kZeroLength, D::kValid}, {6, 6}},
        InvalidRow{"crosses_frame_boundary", {D::kValid, D::kCrossesFrame, D::kValid}},
        InvalidRow{"unknown_option_bit", {D::kValid, D::kUnknownOption, D::kValid}},
        InvalidRow{"valid_with_offset", {D::kValidOffset, D::kValid, D::kValidOffset}},
        InvalidRow{"only_invalid", {D::kBeyondUmem, D::kCrossesFrame, D::kLongerThanFrame}},
        InvalidRow{"mixed_runs",
                   {D::kBeyondUmem, D::kValid, D::kCrossesFrame, D::kLongerThanFrame, D::kValid,
                    D::kValidOffset, D::kUnknownOption, D::kBeyondUmem, D::kValid}}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace

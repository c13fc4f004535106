// run_ping's warm-up against a datapath that stands in for the kernel (no network): the kernel
// switches software RX timestamps on asynchronously, so the first echoes may carry none; the
// warm-up must last until the first timestamped echo (and the peer's), so that no measured sample
// lacks its timestamp, and must stop at its bound with a note when the timestamps never come.
#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "datapath/datapath.hpp"
#include "latency/pingpong.hpp"

using namespace copylab;

namespace {

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

// Echoes every ping at once; the first `unstamped` echoes come without a kernel RX timestamp
// (as before the kernel's timestamp key is on), every later one with a CLOCK_REALTIME stamp.
class StampLaterDatapath : public Datapath {
 public:
  explicit StampLaterDatapath(std::uint64_t unstamped) : unstamped_(unstamped) {}
  std::string_view name() const override { return "stamp-later"; }
  std::size_t send(std::size_t, PayloadFill fill) override {
    frame_.assign(64, 0);
    fill(std::span<std::uint8_t>(frame_));
    pending_ = true;
    return 1;
  }
  std::size_t flush() override { return 0; }
  std::size_t receive(std::size_t max, PayloadSink sink) override {
    return receive_with_meta(max, [&](std::span<const std::uint8_t> p, const RxMeta&) { sink(p); });
  }
  bool wait_rx(std::chrono::milliseconds) override { return pending_; }
  std::size_t echo(std::size_t, PayloadSink) override { return 0; }
  RxTimestamping enable_rx_timestamps() override {
    RxTimestamping t;
    t.enabled = true;
    t.clock = CLOCK_REALTIME;
    t.clock_name = "CLOCK_REALTIME";
    return t;
  }
  std::size_t receive_with_meta(std::size_t, PayloadMetaSink sink) override {
    if (!pending_) return 0;
    pending_ = false;
    RxMeta m;
    if (delivered_++ >= unstamped_) m.kernel_rx_ns = realtime_ns();
    sink(std::span<const std::uint8_t>(frame_), m);
    return 1;
  }
  nlohmann::json mode() const override { return nlohmann::json::object(); }
  nlohmann::json counters() const override { return nlohmann::json::object(); }

 private:
  std::uint64_t unstamped_;
  std::uint64_t delivered_ = 0;
  std::vector<std::uint8_t> frame_;
  bool pending_ = false;
};

PingConfig config() {
  PingConfig c;
  c.count = 100;
  c.warmup = 5;
  c.reply_timeout = std::chrono::milliseconds(1000);
  c.max_duration = std::chrono::milliseconds(60'000);
  c.kernel_rx_split = true;
  return c;
}

TEST(LatencyWarmup, LastsUntilTheFirstTimestampedEcho) {
  StampLaterDatapath dp(30);  // echoes 0..29 unstamped: more than the 5 fixed warm-up pings
  const std::atomic<bool> peer{true};
  const PingResult r = run_ping(dp, config(), &peer);
  EXPECT_EQ(r.sent, 100u);
  EXPECT_EQ(r.replies, 100u);
  EXPECT_EQ(r.warmup_sent, 31u);  // 5, then on until echo 30, the first with a stamp
  EXPECT_TRUE(r.warmup_note.empty()) << r.warmup_note;
  ASSERT_TRUE(r.rtt_split.measured);
  EXPECT_EQ(r.rtt_split.missing, 0u);
  EXPECT_EQ(r.rtt_split.total.count() + r.rtt_split.outside_bracket, 100u);
}

TEST(LatencyWarmup, FixedCountWhenTimestampsComeAtOnceOrAreOff) {
  const std::atomic<bool> peer{true};
  StampLaterDatapath stamped(0);
  EXPECT_EQ(run_ping(stamped, config(), &peer).warmup_sent, 5u);
  PingConfig off = config();
  off.kernel_rx_split = false;
  StampLaterDatapath never(1'000'000);
  const std::atomic<bool> no_peer{false};
  const PingResult r = run_ping(never, off, &no_peer);
  EXPECT_EQ(r.warmup_sent, 5u);  // nothing to wait for
  EXPECT_FALSE(r.rtt_split.measured);
  EXPECT_TRUE(r.warmup_note.empty());
}

TEST(LatencyWarmup, WaitsForThePeerAndStopsAtTheBoundWithANote) {
  StampLaterDatapath dp(0);
  const std::atomic<bool> peer{false};  // the pong never reports a timestamp
  PingConfig c = config();
  c.stamp_warmup_bound = std::chrono::milliseconds(20);
  const PingResult r = run_ping(dp, c, &peer);
  EXPECT_GT(r.warmup_sent, 5u);
  EXPECT_NE(r.warmup_note.find("pong"), std::string::npos) << r.warmup_note;
  EXPECT_EQ(r.sent, 100u);  // the measurement still runs, and says why it may lack stamps
  EXPECT_EQ(r.rtt_split.missing, 0u);
}

}  // namespace

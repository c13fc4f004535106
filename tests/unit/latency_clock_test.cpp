// latency/clock_offset: the bracketing arithmetic on scripted clock reads, and the conversion of
// a real CLOCK_REALTIME reading into CLOCK_MONOTONIC_RAW (it must land between the RAW reads
// around it, within the stated bound). No time limits.
#include <gtest/gtest.h>

#include <time.h>

#include <cstdint>
#include <deque>

#include "latency/clock_offset.hpp"

using namespace copylab;

namespace {

// Replays scripted reads, checking that each read asks for the expected clock.
struct Script {
  std::deque<std::pair<int, std::int64_t>> reads;
  ClockReader reader() {
    return [this](int clock) {
      EXPECT_FALSE(reads.empty());
      if (reads.empty()) return std::int64_t{0};
      auto [want, v] = reads.front();
      reads.pop_front();
      EXPECT_EQ(clock, want);
      return v;
    };
  }
  void bracket(std::int64_t raw1, std::int64_t other, std::int64_t raw2) {
    reads.push_back({CLOCK_MONOTONIC_RAW, raw1});
    reads.push_back({CLOCK_REALTIME, other});
    reads.push_back({CLOCK_MONOTONIC_RAW, raw2});
  }
};

}  // namespace

TEST(ClockOffset, MidpointAndHalfWidthOfTheNarrowestBracket) {
  Script s;
  s.bracket(1000, 5'000'000'100, 1100);  // width 100: offset 5e9+100-1050
  s.bracket(2000, 5'000'001'030, 2040);  // width 40: the narrowest
  s.bracket(3000, 5'000'002'100, 3200);
  const ClockOffset o = measure_clock_offset(CLOCK_REALTIME, 3, s.reader());
  EXPECT_EQ(o.offset_ns, 5'000'001'030 - 2020);
  EXPECT_EQ(o.half_width_ns, 20);
  EXPECT_TRUE(s.reads.empty());
}

TEST(ClockOffset, OddWidthRoundsTheBoundUp) {
  Script s;
  s.bracket(0, 500, 7);
  const ClockOffset o = measure_clock_offset(CLOCK_REALTIME, 1, s.reader());
  EXPECT_EQ(o.half_width_ns, 4);
  EXPECT_EQ(o.offset_ns, 500 - 3);
}

TEST(ClockConverter, ConvertsAndAccumulatesDriftIntoTheBound) {
  Script s;
  auto five = [&](std::int64_t raw, std::int64_t offset, std::int64_t width) {
    s.reads.push_back({CLOCK_MONOTONIC_RAW, raw});  // the refresh's own "when"
    for (int i = 0; i < 5; ++i) s.bracket(raw, raw + width / 2 + offset, raw + width);
  };
  five(1'000, 7'000'000, 40);  // construction: offset 7e6 ± 20
  ClockConverter c(CLOCK_REALTIME, "CLOCK_REALTIME", 1'000'000, s.reader());
  EXPECT_EQ(c.current().offset_ns, 7'000'000);
  EXPECT_EQ(c.to_raw(7'000'500), 500);
  EXPECT_EQ(c.uncertainty_ns(), 20);

  c.maybe_refresh(500'000);  // not due: no clock read at all (the script would notice)
  EXPECT_EQ(c.measurements(), 1u);

  five(2'000'000, 7'000'100, 40);  // offset moved by 100 ns: 60 beyond both brackets (20+20)
  c.maybe_refresh(1'500'000);
  EXPECT_EQ(c.measurements(), 2u);
  EXPECT_EQ(c.to_raw(7'000'600), 500);
  EXPECT_EQ(c.max_step_ns(), 60);
  EXPECT_EQ(c.uncertainty_ns(), 20 + 60);
  EXPECT_EQ(c.drift_ns(), 100);

  five(3'000'000, 7'000'110, 80);  // a 10 ns move inside the brackets is noise, not drift
  c.refresh();
  EXPECT_EQ(c.max_step_ns(), 60);
  EXPECT_EQ(c.max_half_width_ns(), 40);
  EXPECT_EQ(c.uncertainty_ns(), 100);
  EXPECT_TRUE(s.reads.empty());
  EXPECT_EQ(c.to_json().value("uncertainty_ns", 0), 100);
}

TEST(ClockConverter, RealRealtimeReadingLandsBetweenRawReads) {
  ClockConverter c(CLOCK_REALTIME, "CLOCK_REALTIME");
  for (int i = 0; i < 100; ++i) {
    const std::int64_t before = read_clock_ns(CLOCK_MONOTONIC_RAW);
    const std::int64_t real = read_clock_ns(CLOCK_REALTIME);
    const std::int64_t after = read_clock_ns(CLOCK_MONOTONIC_RAW);
    const std::int64_t raw = c.to_raw(real);
    const std::int64_t u = c.uncertainty_ns();
    EXPECT_GE(raw, before - u) << "i=" << i;
    EXPECT_LE(raw, after + u) << "i=" << i;
    c.refresh();
  }
  EXPECT_GT(c.current().half_width_ns, 0);
}

// latency/histogram: percentiles against the exact percentiles of known sample sets, within the
// histogram's stated relative error; merge, CO correction, and the HdrHistogram text format.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "latency/histogram.hpp"

using namespace copylab;

namespace {

// HdrHistogram's percentile definition on the exact data: the sample of rank
// max(1, round(p/100 * n)) in sorted order.
std::uint64_t exact_percentile(std::vector<std::uint64_t> sorted, double p) {
  const auto n = sorted.size();
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(n) + 0.5);
  rank = std::max<std::size_t>(rank, 1);
  return sorted[rank - 1];
}

void expect_within_bound(const std::vector<std::uint64_t>& samples, int digits) {
  LatencyHistogram h(digits);
  for (auto v : samples) h.record(v);
  std::vector<std::uint64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.min(), sorted.front());
  EXPECT_EQ(h.max(), sorted.back());
  const double bound = h.relative_error_bound();
  for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const double exact = static_cast<double>(exact_percentile(sorted, p));
    const double got = static_cast<double>(h.value_at_percentile(p));
    // The reported value is in the same bucket slot as the exact one: never below it, and at
    // most one slot width (<= exact * 10^-digits, or 1 unit at the bottom) above.
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(got - exact, std::max(1.0, exact * bound)) << "p" << p << " exact " << exact;
  }
  double exact_mean = 0;
  for (auto v : samples) exact_mean += static_cast<double>(v);
  exact_mean /= static_cast<double>(samples.size());
  EXPECT_NEAR(h.mean(), exact_mean, std::max(1.0, exact_mean * bound));
}

}  // namespace

TEST(LatencyHistogram, UniformWithinBound) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> d(1000, 100000);
  std::vector<std::uint64_t> s(100000);
  for (auto& v : s) v = d(rng);
  for (int digits : {1, 2, 3, 4}) expect_within_bound(s, digits);
}

TEST(LatencyHistogram, ExponentialWithinBound) {
  std::mt19937_64 rng(2);
  std::exponential_distribution<double> d(1.0 / 20000.0);  // mean 20 µs in ns
  std::vector<std::uint64_t> s(200000);
  for (auto& v : s) v = static_cast<std::uint64_t>(d(rng)) + 1;
  expect_within_bound(s, 3);
  expect_within_bound(s, 2);
}

TEST(LatencyHistogram, BimodalWithinBound) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> fast(5000, 300), slow(60000, 5000);
  std::bernoulli_distribution pick_slow(0.02);
  std::vector<std::uint64_t> s(100000);
  for (auto& v : s) v = static_cast<std::uint64_t>(std::max(1.0, pick_slow(rng) ? slow(rng) : fast(rng)));
  expect_within_bound(s, 3);
}

TEST(LatencyHistogram, SingleValue) {
  LatencyHistogram h(3);
  for (int i = 0; i < 1000; ++i) h.record(24'600);
  for (double p : {0.0, 50.0, 99.99, 100.0}) EXPECT_EQ(h.value_at_percentile(p), 24'600u);
  EXPECT_EQ(h.min(), 24'600u);
  EXPECT_EQ(h.max(), 24'600u);
  EXPECT_NEAR(h.mean(), 24'600.0, 24'600.0 * 1e-3);
  EXPECT_NEAR(h.stddev(), 0.0, 1e-9);
}

TEST(LatencyHistogram, HugeRangeWithinBound) {
  // 1 ns .. 1 hour in one histogram.
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> exp10(0.0, 12.5);
  std::vector<std::uint64_t> s(50000);
  for (auto& v : s) v = static_cast<std::uint64_t>(std::pow(10.0, exp10(rng))) + 1;
  expect_within_bound(s, 3);
}

TEST(LatencyHistogram, ValuesAboveHighestAreClampedAndCounted) {
  LatencyHistogram h(2, 1'000'000);
  h.record(5);
  h.record(10'000'000);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.max(), 1'000'000u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<std::uint64_t> d(1, 1'000'000);
  LatencyHistogram a(3), b(3), all(3);
  for (int i = 0; i < 5000; ++i) {
    const auto x = d(rng), y = d(rng);
    a.record(x);
    b.record(y);
    all.record(x);
    all.record(y);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p));
  LatencyHistogram other_digits(2);
  other_digits.merge(b);
  EXPECT_EQ(other_digits.count(), b.count());
}

TEST(LatencyHistogram, CoordinatedOmissionCorrectionAddsTheMissingSamples) {
  // HdrHistogram's documented example: interval 100, one stall of 1000 → 1000, 900, ..., 100.
  LatencyHistogram h(3);
  for (int i = 0; i < 10; ++i) h.record_corrected(10, 100);
  h.record_corrected(1000, 100);
  EXPECT_EQ(h.count(), 10u + 10u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_EQ(h.value_at_percentile(100.0), 1000u);
  // Without correction the median is 10; with it half the samples are the synthetic ones.
  EXPECT_GE(h.value_at_percentile(75.0), 500u);
  LatencyHistogram none(3);
  none.record_corrected(1000, 0);  // no interval: plain record
  EXPECT_EQ(none.count(), 1u);
}

TEST(LatencyHistogram, FractionAtOrBelowIsACdf) {
  LatencyHistogram h(3);
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v);
  EXPECT_NEAR(h.fraction_at_or_below(500), 0.5, 0.002);
  EXPECT_DOUBLE_EQ(h.fraction_at_or_below(1000), 1.0);
  EXPECT_DOUBLE_EQ(h.fraction_at_or_below(0), 0.0);
}

TEST(LatencyHistogram, RejectsBadDigits) {
  EXPECT_THROW(LatencyHistogram(0), Error);
  EXPECT_THROW(LatencyHistogram(6), Error);
}

TEST(LatencyHistogram, PercentileDistributionHasHdrHistogramShape) {
  LatencyHistogram h(3);
  std::mt19937_64 rng(6);
  std::exponential_distribution<double> d(1.0 / 10000.0);
  for (int i = 0; i < 10000; ++i) h.record(static_cast<std::uint64_t>(d(rng)) + 1000);
  std::ostringstream out;
  h.write_percentile_distribution(out, 1000.0, 5);
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  // Header columns exactly as HdrHistogram prints them, then an empty line.
  EXPECT_EQ(line, "       Value     Percentile TotalCount 1/(1-Percentile)");
  std::getline(in, line);
  EXPECT_EQ(line, "");
  double last_value = -1, last_pct = -1;
  std::uint64_t last_count = 0;
  int rows = 0;
  std::vector<std::string> footer;
  while (std::getline(in, line)) {
    if (line.rfind("#[", 0) == 0) {
      footer.push_back(line);
      continue;
    }
    std::istringstream row(line);
    double value = 0, pct = 0;
    std::uint64_t count = 0;
    ASSERT_TRUE(row >> value >> pct >> count) << line;
    double inverse = 0;
    if (pct < 1.0) {
      ASSERT_TRUE(row >> inverse) << line;
      EXPECT_NEAR(inverse, 1.0 / (1.0 - pct), 0.01 + 1e-3 / (1.0 - pct));
    }
    EXPECT_GE(value, last_value);
    EXPECT_GE(pct, last_pct);
    EXPECT_GE(count, last_count);
    last_value = value;
    last_pct = pct;
    last_count = count;
    ++rows;
  }
  EXPECT_GT(rows, 20);
  EXPECT_DOUBLE_EQ(last_pct, 1.0);
  EXPECT_EQ(last_count, 10000u);
  ASSERT_EQ(footer.size(), 3u);
  EXPECT_EQ(footer[0].rfind("#[Mean    = ", 0), 0u);
  EXPECT_NE(footer[0].find(", StdDeviation   = "), std::string::npos);
  EXPECT_EQ(footer[1].rfind("#[Max     = ", 0), 0u);
  EXPECT_NE(footer[1].find(", Total count    = "), std::string::npos);
  EXPECT_EQ(footer[2].rfind("#[Buckets = ", 0), 0u);
  EXPECT_NE(footer[2].find(", SubBuckets     = "), std::string::npos);
}

// The JSON a side in another process hands back: every count, the exact extremes and the
// percentiles survive; a document that is not such a histogram is refused (rows).
TEST(LatencyHistogram, JsonRoundTripKeepsEveryCount) {
  LatencyHistogram h(3);
  for (std::uint64_t v : {1ULL, 999ULL, 1000ULL, 123457ULL, 5'000'000'001ULL}) h.record(v);
  h.record(7777, 5);
  const LatencyHistogram back = LatencyHistogram::from_json(h.to_json(), 3);
  EXPECT_EQ(back.count(), h.count());
  EXPECT_EQ(back.min(), 1u);
  EXPECT_EQ(back.max(), 5'000'000'001ULL);
  EXPECT_DOUBLE_EQ(back.mean(), h.mean());
  for (double p : {0.0, 25.0, 50.0, 90.0, 99.0, 100.0}) {
    EXPECT_EQ(back.value_at_percentile(p), h.value_at_percentile(p)) << p;
  }
  const LatencyHistogram empty = LatencyHistogram::from_json(LatencyHistogram(3).to_json(), 3);
  EXPECT_EQ(empty.count(), 0u);
  EXPECT_EQ(empty.min(), 0u);

  nlohmann::json wrong_total = h.to_json();
  wrong_total["total"] = h.count() + 1;
  nlohmann::json out_of_range = h.to_json();
  out_of_range["counts"].push_back({1u << 30, 1});
  nlohmann::json missing = h.to_json();
  missing.erase("counts");
  for (const nlohmann::json& bad : {wrong_total, out_of_range, missing, nlohmann::json("x")}) {
    EXPECT_THROW(LatencyHistogram::from_json(bad, 3), Error) << bad.dump();
  }
  EXPECT_THROW(LatencyHistogram::from_json(h.to_json(), 2), Error);  // other digits
}

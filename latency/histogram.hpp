// A log-linear latency histogram in the HdrHistogram layout: values (ns) fall into power-of-two
// buckets, each split into 2*10^digits linear sub-buckets, so every recorded value is known to
// within a relative error of 10^-digits while the memory stays bounded for a huge range.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <vector>

namespace copylab {

class LatencyHistogram {
 public:
  // `highest` is the largest value that can be recorded (larger values are clamped to it and
  // counted in clamped()); `significant_digits` is 1..5.
  explicit LatencyHistogram(int significant_digits = 3,
                            std::uint64_t highest = 3'600'000'000'000ULL /* 1 hour in ns */);

  void record(std::uint64_t value, std::uint64_t count = 1);
  // HdrHistogram's recordValueWithExpectedInterval: a closed-loop, paced measurement cannot
  // send while it waits, so one long reply hides the requests that should have been issued
  // meanwhile (coordinated omission). For value > interval this also records the synthetic
  // samples value - k*interval (k = 1, 2, ...) while they stay >= interval.
  void record_corrected(std::uint64_t value, std::uint64_t expected_interval);
  // Adds every count of `other` (which must have the same digits; values are re-bucketed).
  void merge(const LatencyHistogram& other);
  void reset();

  // Every count with its exact extremes, for a histogram recorded in another process (the
  // out-of-process sides of a ping-pong): {"digits","highest","total","clamped","min","max",
  // "counts":[[index,count],...]} with only the non-zero slots.
  nlohmann::json to_json() const;
  // The histogram to_json() wrote; throws Error for a document that is not one (or whose
  // digits/highest differ from `digits`, which every side of one experiment shares).
  static LatencyHistogram from_json(const nlohmann::json& j, int digits);

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t clamped() const noexcept { return clamped_; }
  // Exact extremes of what was recorded (0 when empty).
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;
  double stddev() const noexcept;
  // The value at `percentile` (0..100), HdrHistogram's definition: the highest value equivalent
  // to the sample of rank max(1, round(p/100 * count)), clamped to the exact [min, max].
  std::uint64_t value_at_percentile(double percentile) const noexcept;
  // Fraction of samples <= value (for CDFs).
  double fraction_at_or_below(std::uint64_t value) const noexcept;

  int significant_digits() const noexcept { return digits_; }
  std::uint64_t highest_trackable() const noexcept { return highest_; }
  // The guaranteed relative error bound of every reported value: 10^-digits.
  double relative_error_bound() const noexcept;
  int bucket_count() const noexcept { return bucket_count_; }
  int sub_bucket_count() const noexcept { return sub_bucket_count_; }

  // Values equivalent to `value` (same bucket slot) span [lowest_equivalent, highest_equivalent].
  std::uint64_t lowest_equivalent(std::uint64_t value) const noexcept;
  std::uint64_t highest_equivalent(std::uint64_t value) const noexcept;

  // HdrHistogram's outputPercentileDistribution text: the "Value Percentile TotalCount
  // 1/(1-Percentile)" table with `ticks_per_half_distance` percentile ticks per halving of the
  // remaining distance to 100%, then the #[Mean ...] / #[Max ...] / #[Buckets ...] footer.
  // Values are divided by `scale` (1000 prints µs from ns).
  void write_percentile_distribution(std::ostream& out, double scale = 1000.0,
                                     int ticks_per_half_distance = 5) const;

  // Visits (value, percentile 0..100, cumulative count) at the same ticks as the text output.
  template <typename Fn>
  void for_each_percentile_tick(int ticks_per_half_distance, Fn&& fn) const;

 private:
  std::size_t index_of(std::uint64_t value) const noexcept;
  std::uint64_t value_at_index(std::size_t index) const noexcept;
  std::uint64_t equivalent_range(std::uint64_t value) const noexcept;
  std::uint64_t median_equivalent(std::uint64_t value) const noexcept;
  int bucket_of(std::uint64_t value) const noexcept;

  int digits_;
  std::uint64_t highest_;
  int sub_bucket_count_magnitude_ = 0;
  int sub_bucket_half_count_magnitude_ = 0;
  int sub_bucket_count_ = 0;
  int sub_bucket_half_count_ = 0;
  std::uint64_t sub_bucket_mask_ = 0;
  int bucket_count_ = 0;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t clamped_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

template <typename Fn>
void LatencyHistogram::for_each_percentile_tick(int ticks_per_half_distance, Fn&& fn) const {
  if (total_ == 0) return;
  const double ticks = ticks_per_half_distance > 0 ? ticks_per_half_distance : 5;
  double level = 0.0;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    cumulative += counts_[i];
    if (cumulative == total_) {
      // Like Java's PercentileIterator: one tick at the last value, then the 100% line.
      fn(max_, level, cumulative);
      break;
    }
    const double reached = 100.0 * static_cast<double>(cumulative) / static_cast<double>(total_);
    while (reached >= level) {
      const std::uint64_t v = highest_equivalent(value_at_index(i));
      fn(v < max_ ? v : max_, level, cumulative);
      // Java's PercentileIterator: tick spacing halves every time the distance to 100% halves.
      const double halvings = static_cast<double>(
          static_cast<long long>(std::log2(100.0 / (100.0 - level))));
      level += 100.0 / (ticks * std::pow(2.0, halvings + 1.0));
    }
  }
  fn(max_, 100.0, total_);
}

}  // namespace copylab

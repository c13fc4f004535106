#include "latency/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>

#include "common/error.hpp"

namespace copylab {

namespace {

int ceil_log2(std::uint64_t v) { return v <= 1 ? 0 : 64 - std::countl_zero(v - 1); }

}  // namespace

LatencyHistogram::LatencyHistogram(int significant_digits, std::uint64_t highest)
    : digits_(significant_digits), highest_(highest) {
  if (significant_digits < 1 || significant_digits > 5) {
    throw Error("histogram significant digits must be 1..5, got " +
                    std::to_string(significant_digits),
                "use 2 or 3 (3 = 0.1% relative error)", kExitUsage);
  }
  if (highest < 2) throw Error("histogram highest trackable value must be >= 2", {}, kExitUsage);
  // HdrHistogram: single-unit resolution up to 2*10^digits, i.e. at least that many sub-buckets.
  std::uint64_t single_unit_resolution = 2;
  for (int i = 0; i < digits_; ++i) single_unit_resolution *= 10;
  sub_bucket_count_magnitude_ = ceil_log2(single_unit_resolution);
  sub_bucket_half_count_magnitude_ = sub_bucket_count_magnitude_ - 1;
  sub_bucket_count_ = 1 << sub_bucket_count_magnitude_;
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = static_cast<std::uint64_t>(sub_bucket_count_ - 1);
  // Buckets needed so that sub_bucket_count << (buckets - 1) covers `highest`.
  std::uint64_t smallest_untrackable = static_cast<std::uint64_t>(sub_bucket_count_);
  bucket_count_ = 1;
  while (smallest_untrackable <= highest_) {
    if (smallest_untrackable > (UINT64_MAX >> 1)) {
      ++bucket_count_;
      break;
    }
    smallest_untrackable <<= 1;
    ++bucket_count_;
  }
  counts_.assign(static_cast<std::size_t>(bucket_count_ + 1) *
                     static_cast<std::size_t>(sub_bucket_half_count_),
                 0);
}

nlohmann::json LatencyHistogram::to_json() const {
  nlohmann::json counts = nlohmann::json::array();
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) counts.push_back({i, counts_[i]});
  }
  return {{"digits", digits_}, {"highest", highest_}, {"total", total_}, {"clamped", clamped_},
          {"min", min()},      {"max", max_},         {"counts", std::move(counts)}};
}

LatencyHistogram LatencyHistogram::from_json(const nlohmann::json& j, int digits) {
  const auto bad = [](const std::string& why) {
    return Error("a histogram document " + why, "use the same copylab build for every side");
  };
  try {
    if (j.at("digits").get<int>() != digits) throw bad("has other significant digits");
    LatencyHistogram h(digits, j.at("highest").get<std::uint64_t>());
    std::uint64_t sum = 0;
    for (const auto& slot : j.at("counts")) {
      const auto index = slot.at(0).get<std::size_t>();
      const auto count = slot.at(1).get<std::uint64_t>();
      if (index >= h.counts_.size()) throw bad("has a slot out of range");
      h.counts_[index] += count;
      sum += count;
    }
    h.total_ = j.at("total").get<std::uint64_t>();
    if (sum != h.total_) throw bad("has counts that do not add up to its total");
    h.clamped_ = j.at("clamped").get<std::uint64_t>();
    h.max_ = j.at("max").get<std::uint64_t>();
    h.min_ = h.total_ != 0 ? j.at("min").get<std::uint64_t>() : UINT64_MAX;
    return h;
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("is malformed: ") + e.what());
  }
}

int LatencyHistogram::bucket_of(std::uint64_t value) const noexcept {
  const int pow2_ceiling = 64 - std::countl_zero(value | sub_bucket_mask_);
  return pow2_ceiling - (sub_bucket_half_count_magnitude_ + 1);
}

std::size_t LatencyHistogram::index_of(std::uint64_t value) const noexcept {
  const int bucket = bucket_of(value);
  const auto sub = static_cast<std::int64_t>(value >> bucket);
  const std::int64_t bucket_base = static_cast<std::int64_t>(bucket + 1)
                                   << sub_bucket_half_count_magnitude_;
  return static_cast<std::size_t>(bucket_base + (sub - sub_bucket_half_count_));
}

std::uint64_t LatencyHistogram::value_at_index(std::size_t index) const noexcept {
  auto bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
  auto sub = static_cast<std::int64_t>(index & static_cast<std::size_t>(sub_bucket_half_count_ - 1)) +
             sub_bucket_half_count_;
  if (bucket < 0) {
    sub -= sub_bucket_half_count_;
    bucket = 0;
  }
  return static_cast<std::uint64_t>(sub) << bucket;
}

std::uint64_t LatencyHistogram::equivalent_range(std::uint64_t value) const noexcept {
  const int bucket = bucket_of(value);
  const std::uint64_t sub = value >> bucket;
  const int adjusted = sub >= static_cast<std::uint64_t>(sub_bucket_count_) ? bucket + 1 : bucket;
  return 1ULL << adjusted;
}

std::uint64_t LatencyHistogram::lowest_equivalent(std::uint64_t value) const noexcept {
  const int bucket = bucket_of(value);
  return (value >> bucket) << bucket;
}

std::uint64_t LatencyHistogram::highest_equivalent(std::uint64_t value) const noexcept {
  return lowest_equivalent(value) + equivalent_range(value) - 1;
}

std::uint64_t LatencyHistogram::median_equivalent(std::uint64_t value) const noexcept {
  return lowest_equivalent(value) + (equivalent_range(value) >> 1);
}

double LatencyHistogram::relative_error_bound() const noexcept { return std::pow(10.0, -digits_); }

void LatencyHistogram::record(std::uint64_t value, std::uint64_t count) {
  if (count == 0) return;
  if (value > highest_) {
    value = highest_;
    clamped_ += count;
  }
  counts_[index_of(value)] += count;
  total_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LatencyHistogram::record_corrected(std::uint64_t value, std::uint64_t expected_interval) {
  record(value);
  if (expected_interval == 0 || value <= expected_interval) return;
  for (std::uint64_t missing = value - expected_interval; missing >= expected_interval;
       missing -= expected_interval) {
    record(missing);
  }
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.digits_ == digits_ && other.counts_.size() == counts_.size()) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    clamped_ += other.clamped_;
    if (other.total_) {
      min_ = std::min(min_, other.min_);
      max_ = std::max(max_, other.max_);
    }
    return;
  }
  for (std::size_t i = 0; i < other.counts_.size(); ++i) {
    if (other.counts_[i]) record(other.value_at_index(i), other.counts_[i]);
  }
  if (other.total_) {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, std::min(other.max_, highest_));
  }
}

void LatencyHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = clamped_ = max_ = 0;
  min_ = UINT64_MAX;
}

double LatencyHistogram::mean() const noexcept {
  if (total_ == 0) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i]) {
      sum += static_cast<double>(median_equivalent(value_at_index(i))) *
             static_cast<double>(counts_[i]);
    }
  }
  return sum / static_cast<double>(total_);
}

double LatencyHistogram::stddev() const noexcept {
  if (total_ == 0) return 0.0;
  const double m = mean();
  double sq = 0.0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i]) {
      const double d = static_cast<double>(median_equivalent(value_at_index(i))) - m;
      sq += d * d * static_cast<double>(counts_[i]);
    }
  }
  return std::sqrt(sq / static_cast<double>(total_));
}

std::uint64_t LatencyHistogram::value_at_percentile(double percentile) const noexcept {
  if (total_ == 0) return 0;
  const double p = std::clamp(percentile, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(total_) + 0.5);
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= rank) {
      const std::uint64_t v = highest_equivalent(value_at_index(i));
      return std::clamp(v, min_, max_);
    }
  }
  return max_;
}

double LatencyHistogram::fraction_at_or_below(std::uint64_t value) const noexcept {
  if (total_ == 0) return 0.0;
  if (value >= max_) return 1.0;
  const std::size_t last = index_of(std::min(value, highest_));
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= last && i < counts_.size(); ++i) cumulative += counts_[i];
  return static_cast<double>(cumulative) / static_cast<double>(total_);
}

void LatencyHistogram::write_percentile_distribution(std::ostream& out, double scale,
                                                     int ticks_per_half_distance) const {
  char line[160];
  std::snprintf(line, sizeof line, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                "1/(1-Percentile)");
  out << line;
  for_each_percentile_tick(ticks_per_half_distance, [&](std::uint64_t v, double pct,
                                                        std::uint64_t cum) {
    const double q = pct / 100.0;
    if (pct < 100.0) {
      std::snprintf(line, sizeof line, "%12.3f %2.12f %10" PRIu64 " %14.2f\n",
                    static_cast<double>(v) / scale, q, cum, 1.0 / (1.0 - q));
    } else {
      std::snprintf(line, sizeof line, "%12.3f %2.12f %10" PRIu64 "\n",
                    static_cast<double>(v) / scale, q, cum);
    }
    out << line;
  });
  std::snprintf(line, sizeof line, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean() / scale,
                stddev() / scale);
  out << line;
  std::snprintf(line, sizeof line, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n",
                static_cast<double>(max()) / scale, total_);
  out << line;
  std::snprintf(line, sizeof line, "#[Buckets = %12d, SubBuckets     = %12d]\n", bucket_count_,
                sub_bucket_count_);
  out << line;
}

}  // namespace copylab

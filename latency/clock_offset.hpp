// Converts kernel timestamps taken on another clock (SO_TIMESTAMPING: CLOCK_REALTIME) to
// copylab's CLOCK_MONOTONIC_RAW. Method: bracketing reads raw₁, other, raw₂; offset =
// other - (raw₁ + raw₂)/2, known to ±(raw₂ - raw₁)/2; the narrowest of a few tries wins.
// REALTIME is slewed by NTP and RAW is not, so the offset drifts: it is re-measured while the
// experiment runs, and the stated uncertainty is the widest bracket plus the largest change
// between consecutive measurements (the drift a sample can see before the next refresh).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>


namespace copylab {

// Reads a clock in ns (clock_gettime); injectable so the arithmetic is testable.
using ClockReader = std::function<std::int64_t(int clock_id)>;
std::int64_t read_clock_ns(int clock_id) noexcept;

struct ClockOffset {
  std::int64_t offset_ns = 0;      // other_clock - CLOCK_MONOTONIC_RAW
  std::int64_t half_width_ns = 0;  // the bracket's half width: |error| <= this
};

// Best (narrowest) of `tries` bracketing measurements of `clock_id` against CLOCK_MONOTONIC_RAW.
ClockOffset measure_clock_offset(int clock_id, int tries, const ClockReader& read);
ClockOffset measure_clock_offset(int clock_id, int tries = 5);

// Keeps an offset fresh during a run and converts timestamps with it.
class ClockConverter {
 public:
  static constexpr std::uint64_t kDefaultRefreshNs = 20'000'000;  // 20 ms

  ClockConverter(int from_clock, std::string from_name,
                 std::uint64_t refresh_ns = kDefaultRefreshNs);
  ClockConverter(int from_clock, std::string from_name, std::uint64_t refresh_ns,
                 ClockReader read);

  // Re-measures when `refresh_ns` passed since the last measurement (cheap otherwise: one
  // comparison). Call between samples, outside any timed region.
  void maybe_refresh(std::uint64_t now_raw_ns);
  void refresh();

  // A timestamp of the source clock as CLOCK_MONOTONIC_RAW ns.
  std::int64_t to_raw(std::int64_t other_ns) const noexcept { return other_ns - current_.offset_ns; }

  const ClockOffset& current() const noexcept { return current_; }
  // Bound on |error| of any to_raw() so far: widest bracket + largest step between refreshes.
  std::int64_t uncertainty_ns() const noexcept { return max_half_width_ns_ + max_step_ns_; }
  std::int64_t max_half_width_ns() const noexcept { return max_half_width_ns_; }
  std::int64_t max_step_ns() const noexcept { return max_step_ns_; }
  std::int64_t drift_ns() const noexcept { return current_.offset_ns - first_.offset_ns; }
  std::uint64_t measurements() const noexcept { return measurements_; }
  const std::string& from_name() const noexcept { return from_name_; }

  nlohmann::json to_json() const;

 private:
  ClockOffset measure();

  int from_clock_;
  std::string from_name_;
  std::uint64_t refresh_ns_;
  ClockReader read_;
  ClockOffset first_, current_;
  std::uint64_t last_refresh_raw_ = 0;
  std::int64_t max_half_width_ns_ = 0;
  std::int64_t max_step_ns_ = 0;
  std::uint64_t measurements_ = 0;
};

// The method statement that goes into reports.
std::string clock_conversion_method(const std::string& from_name);

}  // namespace copylab

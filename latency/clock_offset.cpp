#include "latency/clock_offset.hpp"

#include <time.h>

#include <cstdlib>
#include <limits>
#include <utility>

namespace copylab {

namespace {
constexpr int kTries = 5;
}  // namespace

std::int64_t read_clock_ns(int clock_id) noexcept {
  timespec ts{};
  clock_gettime(static_cast<clockid_t>(clock_id), &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

ClockOffset measure_clock_offset(int clock_id, int tries, const ClockReader& read) {
  ClockOffset best{0, std::numeric_limits<std::int64_t>::max()};
  for (int i = 0; i < (tries > 0 ? tries : 1); ++i) {
    const std::int64_t raw1 = read(CLOCK_MONOTONIC_RAW);
    const std::int64_t other = read(clock_id);
    const std::int64_t raw2 = read(CLOCK_MONOTONIC_RAW);
    const std::int64_t width = raw2 - raw1;
    if (width < 0) continue;  // cannot happen with a monotonic clock; never trust it
    // (raw1 + raw2)/2 without overflow; the half width rounds up so the bound stays a bound.
    const std::int64_t mid = raw1 + width / 2;
    const std::int64_t half = (width + 1) / 2;
    if (half < best.half_width_ns) best = {other - mid, half};
  }
  if (best.half_width_ns == std::numeric_limits<std::int64_t>::max()) best.half_width_ns = 0;
  return best;
}

ClockOffset measure_clock_offset(int clock_id, int tries) {
  return measure_clock_offset(clock_id, tries, ClockReader(read_clock_ns));
}

ClockConverter::ClockConverter(int from_clock, std::string from_name, std::uint64_t refresh_ns)
    : ClockConverter(from_clock, std::move(from_name), refresh_ns, read_clock_ns) {}

ClockConverter::ClockConverter(int from_clock, std::string from_name, std::uint64_t refresh_ns,
                               ClockReader read)
    : from_clock_(from_clock), from_name_(std::move(from_name)), refresh_ns_(refresh_ns),
      read_(std::move(read)) {
  first_ = current_ = measure();
  max_half_width_ns_ = current_.half_width_ns;
}

ClockOffset ClockConverter::measure() {
  ++measurements_;
  last_refresh_raw_ = static_cast<std::uint64_t>(read_(CLOCK_MONOTONIC_RAW));
  return measure_clock_offset(from_clock_, kTries, read_);
}

void ClockConverter::refresh() {
  const ClockOffset next = measure();
  const std::int64_t step = std::llabs(next.offset_ns - current_.offset_ns);
  // A step within both brackets' widths is measurement noise, not drift.
  const std::int64_t noise = next.half_width_ns + current_.half_width_ns;
  if (step > noise && step - noise > max_step_ns_) max_step_ns_ = step - noise;
  if (next.half_width_ns > max_half_width_ns_) max_half_width_ns_ = next.half_width_ns;
  current_ = next;
}

void ClockConverter::maybe_refresh(std::uint64_t now_raw_ns) {
  if (now_raw_ns - last_refresh_raw_ >= refresh_ns_) refresh();
}

nlohmann::json ClockConverter::to_json() const {
  return {{"from_clock", from_name_},
          {"to_clock", "CLOCK_MONOTONIC_RAW"},
          {"offset_ns", current_.offset_ns},
          {"measurements", measurements_},
          {"refresh_ms", static_cast<double>(refresh_ns_) / 1e6},
          {"max_bracket_half_width_ns", max_half_width_ns_},
          {"max_step_between_refreshes_ns", max_step_ns_},
          {"drift_over_run_ns", drift_ns()},
          {"uncertainty_ns", uncertainty_ns()}};
}

std::string clock_conversion_method(const std::string& from_name) {
  return from_name +
         " kernel timestamps converted to CLOCK_MONOTONIC_RAW with an offset measured by "
         "bracketing (raw1, " + from_name +
         ", raw2; offset = " + from_name +
         " - (raw1+raw2)/2, error <= (raw2-raw1)/2; narrowest of 5), re-measured every 20 ms "
         "between samples; uncertainty = widest bracket half width + largest offset change "
         "between consecutive measurements beyond their brackets (NTP slews " +
         from_name + ", not RAW)";
}

}  // namespace copylab

// The one clock every timestamp in copylab uses: CLOCK_MONOTONIC_RAW (vDSO, not slewed by NTP),
// shared by sender and receiver because both run on the same host.
#pragma once

#include <cstdint>
#include <ctime>

namespace copylab {

inline std::uint64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

inline constexpr const char* kClockName = "CLOCK_MONOTONIC_RAW";

}  // namespace copylab

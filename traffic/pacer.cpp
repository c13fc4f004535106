#include "traffic/pacer.hpp"

#include <algorithm>
#include <limits>

namespace copylab {

Pacer::Pacer(double rate_pps, std::uint64_t start_ns, std::uint64_t max_burst)
    : rate_pps_(rate_pps), start_ns_(start_ns), max_burst_(max_burst) {}

std::uint64_t Pacer::allowance(std::uint64_t now_ns, std::uint64_t sent) const noexcept {
  if (rate_pps_ <= 0) return max_burst_;
  const double elapsed_s = static_cast<double>(now_ns - start_ns_) * 1e-9;
  const auto due = static_cast<std::uint64_t>(elapsed_s * rate_pps_) + 1;  // first frame at t=0
  return due > sent ? std::min(due - sent, max_burst_) : 0;
}

std::uint64_t Pacer::next_due_ns(std::uint64_t sent) const noexcept {
  if (rate_pps_ <= 0) return start_ns_;
  return start_ns_ + static_cast<std::uint64_t>(static_cast<double>(sent) / rate_pps_ * 1e9);
}

}  // namespace copylab

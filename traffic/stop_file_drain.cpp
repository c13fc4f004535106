#include "traffic/stop_file_drain.hpp"

#include <unistd.h>

#include <algorithm>
#include <utility>

namespace copylab {
namespace {

// How often an idle tool looks for the stop file: rarely enough that the check adds no
// measurable system calls per packet, often enough that the drain starts promptly.
constexpr std::uint64_t kStopFilePollNs = 10'000'000ULL;

}  // namespace

StopFileDrain::StopFileDrain(std::string file, double quiet_s)
    : file_(std::move(file)),
      quiet_ns_(static_cast<std::uint64_t>(quiet_s * 1e9)),
      max_ns_(static_cast<std::uint64_t>(quiet_s * kMaxDrainPeriods * 1e9)) {}

const char* StopFileDrain::idle(std::uint64_t now, std::uint64_t last) {
  if (!enabled()) return nullptr;
  if (seen_ == 0 && now - checked_ >= kStopFilePollNs) {
    checked_ = now;
    if (access(file_.c_str(), F_OK) == 0) seen_ = now;
  }
  if (seen_ == 0) return nullptr;
  if (now - std::max(seen_, last) >= quiet_ns_) return "drain";
  if (now - seen_ >= max_ns_) return "drain bound";
  return nullptr;
}

double StopFileDrain::drained_s(std::uint64_t now) const {
  return seen_ != 0 ? static_cast<double>(now - seen_) * 1e-9 : 0;
}

}  // namespace copylab

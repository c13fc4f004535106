// The end of a harness-driven run, shared by the receivers and the forwarders: a harness creates
// a file once everything upstream has finished; from then on the tool keeps taking frames until
// none has arrived for a quiet period, so what the kernel still holds (socket buffer, XSK ring,
// backlog) is taken, not dropped by the tool's exit. Bounded: at most kMaxDrainPeriods quiet
// periods after the file appeared.
#pragma once

#include <cstdint>
#include <string>

namespace copylab {

class StopFileDrain {
 public:
  static constexpr double kMaxDrainPeriods = 10;

  // `file` empty: no stop file (idle() never stops); `quiet_s` > 0.
  StopFileDrain(std::string file, double quiet_s);

  bool enabled() const { return !file_.empty(); }
  // Called when a look for frames found none at `now` (ns, now_ns()); `last` is when the last
  // frame arrived (0: none yet). Looks for the file at most every 10 ms. Returns why to stop
  // ("drain": quiet for the period after the file; "drain bound": the bound) or nullptr.
  const char* idle(std::uint64_t now, std::uint64_t last);
  // Seconds from the file's appearance to `now` (0 when it has not appeared).
  double drained_s(std::uint64_t now) const;

 private:
  std::string file_;
  std::uint64_t quiet_ns_;
  std::uint64_t max_ns_;
  std::uint64_t seen_ = 0;     // when the file was first seen
  std::uint64_t checked_ = 0;  // when it was last looked for
};

}  // namespace copylab

// Paces a sender to a frame rate without drifting: the allowance is computed from the start
// time (not the last send), so a late iteration catches up instead of losing frames. Bursts are
// capped at one batch, so catching up never floods the datapath.
#pragma once

#include <cstdint>

namespace copylab {

class Pacer {
 public:
  Pacer(double rate_pps, std::uint64_t start_ns, std::uint64_t max_burst);
  // Frames that may be sent now, given how many have been sent so far.
  std::uint64_t allowance(std::uint64_t now_ns, std::uint64_t sent) const noexcept;
  // When the next frame is due (for sleeping between frames at low rates).
  std::uint64_t next_due_ns(std::uint64_t sent) const noexcept;
  bool paced() const noexcept { return rate_pps_ > 0; }

 private:
  double rate_pps_;
  std::uint64_t start_ns_;
  std::uint64_t max_burst_;
};

}  // namespace copylab

// Where every UMEM frame is. A frame is always in exactly one place; each move names the place
// it leaves, so a frame that is lost, handed out twice or returned from the wrong place is caught
// at the move (a bug in the datapath, not a runtime condition) and check_invariant() can audit the
// whole table at any time. Moves are O(1): a per-frame state array plus a stack of free frames.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace copylab {

enum class FramePlace : std::uint8_t {
  kFree,        // owned by user space, unused
  kFill,        // on the fill ring, or filled by the kernel into the RX ring and not yet read
  kRx,          // read from the RX ring and handed to the user (sink / echo)
  kTx,          // on the TX ring, owned by the kernel until it shows up on the completion ring
  kCompletion,  // read from the completion ring, not yet returned
};
inline constexpr std::size_t kFramePlaceCount = 5;
const char* to_string(FramePlace p) noexcept;

class FrameAllocator {
 public:
  // frame_size must be a power of two (UMEM aligned mode); checked by the UMEM config.
  FrameAllocator(std::uint32_t frame_count, std::uint32_t frame_size);

  std::uint32_t frame_count() const noexcept { return static_cast<std::uint32_t>(state_.size()); }
  std::uint32_t frame_size() const noexcept { return frame_size_; }

  // Takes a free frame and puts it in `to`; nullopt when none is free. Returns the frame's base
  // address (offset into the UMEM area).
  std::optional<std::uint64_t> take_free(FramePlace to);
  // Moves the frame holding `addr` (any offset inside the frame, e.g. base + XDP headroom as the
  // kernel reports it in copy mode) from `from` to `to`. Throws std::logic_error when the frame
  // is not in `from` or the address is outside the UMEM.
  void move(std::uint64_t addr, FramePlace from, FramePlace to);

  std::size_t count(FramePlace p) const noexcept { return counts_[static_cast<std::size_t>(p)]; }
  FramePlace place_of(std::uint64_t addr) const;
  std::uint64_t base_of(std::uint64_t addr) const noexcept { return addr & ~frame_mask_; }

  // Audits the whole table: per-place counts match the state array, the free stack holds exactly
  // the free frames, once each. On failure `why` (if given) says what is wrong.
  bool check_invariant(std::string* why = nullptr) const;

 private:
  std::uint32_t index_of(std::uint64_t addr) const;
  void set(std::uint32_t index, FramePlace from, FramePlace to);

  std::uint32_t frame_size_;
  std::uint64_t frame_mask_;
  unsigned frame_shift_;
  std::vector<FramePlace> state_;
  std::vector<std::uint32_t> free_stack_;
  std::array<std::size_t, kFramePlaceCount> counts_{};
};

}  // namespace copylab

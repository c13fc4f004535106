#include "umem/frame_allocator.hpp"

#include <bit>
#include <stdexcept>

namespace copylab {

const char* to_string(FramePlace p) noexcept {
  switch (p) {
    case FramePlace::kFree: return "free";
    case FramePlace::kFill: return "fill";
    case FramePlace::kRx: return "rx";
    case FramePlace::kTx: return "tx";
    case FramePlace::kCompletion: return "completion";
  }
  return "?";
}

FrameAllocator::FrameAllocator(std::uint32_t frame_count, std::uint32_t frame_size)
    : frame_size_(frame_size),
      frame_mask_(frame_size - 1ULL),
      frame_shift_(static_cast<unsigned>(std::countr_zero(frame_size))),
      state_(frame_count, FramePlace::kFree) {
  if (frame_count == 0 || !std::has_single_bit(frame_size)) {
    throw std::invalid_argument("FrameAllocator: frame_count must be > 0 and frame_size a power of two");
  }
  free_stack_.reserve(frame_count);
  // Highest index at the bottom so frames are handed out from the start of the area.
  for (std::uint32_t i = frame_count; i > 0; --i) free_stack_.push_back(i - 1);
  counts_[static_cast<std::size_t>(FramePlace::kFree)] = frame_count;
}

std::uint32_t FrameAllocator::index_of(std::uint64_t addr) const {
  const std::uint64_t index = addr >> frame_shift_;
  if (index >= state_.size()) {
    throw std::logic_error("UMEM address " + std::to_string(addr) + " is outside the " +
                           std::to_string(state_.size()) + "-frame area");
  }
  return static_cast<std::uint32_t>(index);
}

FramePlace FrameAllocator::place_of(std::uint64_t addr) const { return state_[index_of(addr)]; }

void FrameAllocator::set(std::uint32_t index, FramePlace from, FramePlace to) {
  FramePlace& s = state_[index];
  if (s != from) {
    throw std::logic_error(std::string("UMEM frame ") + std::to_string(index) + " is in " +
                           to_string(s) + ", not in " + to_string(from) + " (move to " +
                           to_string(to) + ")");
  }
  s = to;
  --counts_[static_cast<std::size_t>(from)];
  ++counts_[static_cast<std::size_t>(to)];
}

std::optional<std::uint64_t> FrameAllocator::take_free(FramePlace to) {
  if (free_stack_.empty()) return std::nullopt;
  const std::uint32_t index = free_stack_.back();
  set(index, FramePlace::kFree, to);
  free_stack_.pop_back();
  return static_cast<std::uint64_t>(index) << frame_shift_;
}

void FrameAllocator::move(std::uint64_t addr, FramePlace from, FramePlace to) {
  const std::uint32_t index = index_of(addr);
  if (from == FramePlace::kFree) {
    throw std::logic_error("FrameAllocator::move from free: use take_free()");
  }
  set(index, from, to);
  if (to == FramePlace::kFree) free_stack_.push_back(index);
}

bool FrameAllocator::check_invariant(std::string* why) const {
  auto fail = [why](std::string text) {
    if (why != nullptr) *why = std::move(text);
    return false;
  };
  std::array<std::size_t, kFramePlaceCount> seen{};
  for (FramePlace p : state_) {
    const auto i = static_cast<std::size_t>(p);
    if (i >= kFramePlaceCount) return fail("a frame has an unknown state");
    ++seen[i];
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < kFramePlaceCount; ++i) {
    total += counts_[i];
    if (seen[i] != counts_[i]) {
      return fail(std::string("count of ") + to_string(static_cast<FramePlace>(i)) + " is " +
                  std::to_string(counts_[i]) + " but " + std::to_string(seen[i]) +
                  " frames are there");
    }
  }
  if (total != state_.size()) return fail("place counts don't add up to the frame count");
  if (free_stack_.size() != counts_[static_cast<std::size_t>(FramePlace::kFree)]) {
    return fail("free stack holds " + std::to_string(free_stack_.size()) + " frames, " +
                std::to_string(counts_[0]) + " are free");
  }
  std::vector<bool> on_stack(state_.size(), false);
  for (std::uint32_t index : free_stack_) {
    if (index >= state_.size()) return fail("free stack holds an index outside the area");
    if (on_stack[index]) return fail("frame " + std::to_string(index) + " is on the free stack twice");
    on_stack[index] = true;
    if (state_[index] != FramePlace::kFree) {
      return fail("frame " + std::to_string(index) + " is on the free stack but in " +
                  to_string(state_[index]));
    }
  }
  return true;
}

}  // namespace copylab

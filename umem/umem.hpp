// A registered UMEM: the area, its fill and completion rings (libxdp xsk_umem), and the frame
// allocator that tracks where each frame is. Not movable: libxdp keeps pointers to the rings.
#pragma once

#include <xdp/xsk.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "umem/frame_allocator.hpp"
#include "umem/umem_area.hpp"
#include "umem/umem_config.hpp"

namespace copylab {

class Umem {
 public:
  explicit Umem(const UmemConfig& cfg);
  Umem(const Umem&) = delete;
  Umem& operator=(const Umem&) = delete;
  ~Umem();

  xsk_umem* handle() const noexcept { return umem_; }
  xsk_ring_prod& fill_ring() noexcept { return fill_; }
  xsk_ring_cons& completion_ring() noexcept { return comp_; }
  FrameAllocator& frames() noexcept { return frames_; }
  const FrameAllocator& frames() const noexcept { return frames_; }
  const UmemConfig& config() const noexcept { return cfg_; }
  bool huge_pages() const noexcept { return area_.huge_pages(); }

  // The bytes at a UMEM address (descriptor addresses may carry an offset inside the frame).
  std::uint8_t* at(std::uint64_t addr) const noexcept { return area_.data() + addr; }
  // Room from `addr` to the end of its frame.
  std::size_t room(std::uint64_t addr) const noexcept {
    return cfg_.frame_size - (addr - frames_.base_of(addr));
  }

  // Puts up to `n` free frames on the fill ring; returns how many.
  std::uint32_t refill(std::uint32_t n) { return refill(fill_, n); }
  // The same onto another fill ring of this UMEM (a socket bound with XDP_SHARED_UMEM on another
  // device or queue has its own).
  std::uint32_t refill(xsk_ring_prod& fill, std::uint32_t n);
  // Reads up to `max` completed TX frames back to free; returns how many.
  std::uint32_t reap_completions(std::uint32_t max) { return reap_completions(comp_, max); }
  // The same from another completion ring of this UMEM (a socket bound with XDP_SHARED_UMEM on
  // another device or queue has its own).
  std::uint32_t reap_completions(xsk_ring_cons& comp, std::uint32_t max);

 private:
  UmemConfig cfg_;
  UmemArea area_;
  FrameAllocator frames_;
  xsk_ring_prod fill_{};
  xsk_ring_cons comp_{};
  xsk_umem* umem_ = nullptr;
};

}  // namespace copylab

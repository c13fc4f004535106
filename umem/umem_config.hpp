// The shape of a UMEM: frame size and count, fill/completion ring sizes, headroom, huge pages.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace copylab {

struct UmemConfig {
  std::uint32_t frame_size = 2048;   // power of two, 2048..page size (aligned chunk mode)
  std::uint32_t frame_count = 4096;  // power of two
  std::uint32_t fill_size = 4096;    // ≥ 2× the RX frames in circulation (lazy consumer updates)
  std::uint32_t comp_size = 4096;    // ≥ the TX frames in circulation
  std::uint32_t frame_headroom = 0;  // user headroom before the packet (kernel adds 256 in copy mode)
  bool huge_pages = false;
};

// Throws Error(kExitUsage) naming the option (--frame-size, --frame-count, --ring-size) and the fix.
void validate(const UmemConfig& cfg);
nlohmann::json to_json(const UmemConfig& cfg);

}  // namespace copylab

// The memory behind a UMEM: one anonymous, populated mapping, on huge pages when asked and
// available (falling back to normal pages, and saying which it got).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace copylab {

class UmemArea {
 public:
  UmemArea(std::size_t size, bool want_huge_pages);
  UmemArea(const UmemArea&) = delete;
  UmemArea& operator=(const UmemArea&) = delete;
  ~UmemArea();

  std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }  // what the UMEM uses
  bool huge_pages() const noexcept { return huge_pages_; }
  // Why huge pages were not used when they were asked for ("" otherwise).
  const char* huge_pages_fallback_reason() const noexcept { return fallback_reason_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;
  bool huge_pages_ = false;
  const char* fallback_reason_ = "";
};

}  // namespace copylab

#include "umem/umem_area.hpp"

#include <spdlog/spdlog.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace copylab {
namespace {

constexpr std::size_t kHugePageSize = 2UL << 20;  // x86-64 / arm64 default huge page

void* map_anonymous(std::size_t len, int extra_flags) {
  return mmap(nullptr, len, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | extra_flags, -1, 0);
}

}  // namespace

UmemArea::UmemArea(std::size_t size, bool want_huge_pages) : size_(size) {
  if (want_huge_pages) {
    const std::size_t len = (size + kHugePageSize - 1) / kHugePageSize * kHugePageSize;
    void* p = map_anonymous(len, MAP_HUGETLB);
    if (p != MAP_FAILED) {
      data_ = static_cast<std::uint8_t*>(p);
      mapped_ = len;
      huge_pages_ = true;
      spdlog::info("UMEM: {} bytes on 2 MiB huge pages", size);
      return;
    }
    fallback_reason_ = errno == ENOMEM ? "no free huge pages (vm.nr_hugepages)" : std::strerror(errno);
  }
  void* p = map_anonymous(size, 0);
  if (p == MAP_FAILED) {
    throw_errno("mmap", "UMEM area of " + std::to_string(size) + " bytes", errno,
                "use a smaller --frame-count or --frame-size");
  }
  data_ = static_cast<std::uint8_t*>(p);
  mapped_ = size;
  if (want_huge_pages) {
    spdlog::info("UMEM: {} bytes on normal pages; huge pages unavailable: {}", size,
                 fallback_reason_);
  } else {
    spdlog::debug("UMEM: {} bytes on normal pages", size);
  }
}

UmemArea::~UmemArea() {
  if (data_ != nullptr) munmap(data_, mapped_);
}

}  // namespace copylab

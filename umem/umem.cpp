#include "umem/umem.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <string>

#include "common/error.hpp"

namespace copylab {
namespace {

std::string pow2_fix(std::uint32_t v) {
  const std::uint32_t lo = std::bit_floor(v == 0 ? 1U : v);
  const std::uint32_t hi = lo << 1;
  return "use a power of two, e.g. " + std::to_string(lo) + " or " + std::to_string(hi);
}

void require_pow2(const char* option, std::uint32_t v) {
  if (!std::has_single_bit(v)) {
    throw Error(std::string(option) + " " + std::to_string(v) + " is not a power of two",
                pow2_fix(v), kExitUsage);
  }
}

}  // namespace

void validate(const UmemConfig& cfg) {
  require_pow2("--frame-size", cfg.frame_size);
  if (cfg.frame_size < 2048 || cfg.frame_size > 4096) {
    throw Error("--frame-size " + std::to_string(cfg.frame_size) +
                    " is outside what an aligned UMEM allows (2048..4096, one page at most)",
                "use --frame-size 2048 or 4096", kExitUsage);
  }
  require_pow2("--frame-count", cfg.frame_count);
  require_pow2("fill ring size (2x --ring-size)", cfg.fill_size);
  require_pow2("completion ring size (2x --ring-size)", cfg.comp_size);
  if (cfg.frame_headroom >= cfg.frame_size / 2) {
    throw Error("UMEM frame headroom " + std::to_string(cfg.frame_headroom) +
                    " leaves too little room in a " + std::to_string(cfg.frame_size) + "-byte frame",
                "use a headroom below half the frame size", kExitUsage);
  }
}

nlohmann::json to_json(const UmemConfig& cfg) {
  return {{"frame_size", cfg.frame_size},     {"frame_count", cfg.frame_count},
          {"fill_ring", cfg.fill_size},       {"completion_ring", cfg.comp_size},
          {"frame_headroom", cfg.frame_headroom}, {"huge_pages_requested", cfg.huge_pages}};
}

Umem::Umem(const UmemConfig& cfg)
    : cfg_(cfg),
      area_((validate(cfg), static_cast<std::size_t>(cfg.frame_count) * cfg.frame_size),
            cfg.huge_pages),
      frames_(cfg.frame_count, cfg.frame_size) {
  xsk_umem_config ucfg{};
  ucfg.fill_size = cfg.fill_size;
  ucfg.comp_size = cfg.comp_size;
  ucfg.frame_size = cfg.frame_size;
  ucfg.frame_headroom = cfg.frame_headroom;
  ucfg.flags = 0;
  const int ret = xsk_umem__create(&umem_, area_.data(), area_.size(), &fill_, &comp_, &ucfg);
  if (ret != 0) {
    umem_ = nullptr;
    throw_errno("xsk_umem__create",
                "UMEM of " + std::to_string(cfg.frame_count) + " x " +
                    std::to_string(cfg.frame_size) + " B",
                -ret,
                ret == -EPERM || ret == -ENOMEM
                    ? "run as root (CAP_IPC_LOCK / RLIMIT_MEMLOCK) or use a smaller --frame-count"
                    : "check --frame-size/--frame-count/--ring-size");
  }
}

Umem::~Umem() {
  if (umem_ != nullptr) xsk_umem__delete(umem_);
}

std::uint32_t Umem::refill(xsk_ring_prod& fill, std::uint32_t n) {
  n = std::min<std::uint32_t>(n, static_cast<std::uint32_t>(frames_.count(FramePlace::kFree)));
  if (n == 0) return 0;
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_prod__reserve(&fill, n, &idx);
  for (std::uint32_t i = 0; i < got; ++i) {
    *xsk_ring_prod__fill_addr(&fill, idx + i) = *frames_.take_free(FramePlace::kFill);
  }
  if (got != 0) xsk_ring_prod__submit(&fill, got);
  return got;
}

std::uint32_t Umem::reap_completions(xsk_ring_cons& comp, std::uint32_t max) {
  std::uint32_t idx = 0;
  const std::uint32_t got = xsk_ring_cons__peek(&comp, max, &idx);
  for (std::uint32_t i = 0; i < got; ++i) {
    const std::uint64_t addr = *xsk_ring_cons__comp_addr(&comp, idx + i);
    frames_.move(addr, FramePlace::kTx, FramePlace::kCompletion);
    frames_.move(addr, FramePlace::kCompletion, FramePlace::kFree);
  }
  if (got != 0) xsk_ring_cons__release(&comp, got);
  return got;
}

}  // namespace copylab

#include "xdp/af_xdp_config.hpp"

#include <linux/bpf.h>

#include <bit>
#include <string>

#include "common/error.hpp"
#include "common/link_state.hpp"
#include "common/privilege.hpp"
#include "packet/payload_size.hpp"
#include "xdp/device.hpp"

namespace copylab {
namespace {

constexpr std::uint32_t kXdpHeadroom = XDP_PACKET_HEADROOM;  // where copy-mode RX data starts

std::string str(std::size_t v) { return std::to_string(v); }

void require_pow2(const char* option, std::uint64_t v, const char* example) {
  if (!std::has_single_bit(v)) {
    throw Error(std::string(option) + " " + str(v) + " is not a power of two",
                std::string("use a power of two, e.g. ") + option + " " + example, kExitUsage);
  }
}

}  // namespace

FrameSpec AfXdpConfig::default_frame_spec() { return standard_frame_spec(); }

std::uint32_t AfXdpConfig::rx_frames() const {
  if (!rx) return 0;
  const std::uint32_t share = tx ? frame_count / 2 : frame_count;
  return std::min(share, ring_size);
}

UmemConfig AfXdpConfig::umem_config() const {
  UmemConfig u;
  u.frame_size = frame_size;
  u.frame_count = frame_count;
  // Fill ring ≥ 2x the RX frames in circulation: the kernel publishes consumption lazily.
  u.fill_size = ring_size * 2;
  u.comp_size = ring_size * 2;
  u.frame_headroom = 0;
  u.huge_pages = huge_pages;
  return u;
}

void validate(const AfXdpConfig& cfg, std::size_t payload_len) {
  require_pow2("--ring-size", cfg.ring_size, "2048");
  require_pow2("--frame-size", cfg.frame_size, "2048");
  require_pow2("--frame-count", cfg.frame_count, "4096");
  validate(cfg.umem_config());
  if (cfg.ring_size < 64 || cfg.ring_size > 16384) {
    throw Error("--ring-size " + str(cfg.ring_size) + " is out of range",
                "use a power of two between 64 and 16384", kExitUsage);
  }
  if (cfg.batch == 0 || cfg.batch > cfg.ring_size) {
    throw Error("--batch " + str(cfg.batch) + " doesn't fit the " + str(cfg.ring_size) +
                    "-entry rings",
                "use a batch between 1 and --ring-size", kExitUsage);
  }
  if (cfg.frame_count < 2 * cfg.batch) {
    throw Error("--frame-count " + str(cfg.frame_count) + " is less than two batches of " +
                    str(cfg.batch),
                "use --frame-count " + str(std::bit_ceil(2 * cfg.batch)) + " or more", kExitUsage);
  }
  if (cfg.wait == WaitPolicy::kBusyPoll && (cfg.busy_poll_usec == 0 || cfg.busy_poll_usec > 1'000'000)) {
    throw Error("--busy-poll-usec " + str(cfg.busy_poll_usec) + " is out of range",
                "use 1..1000000 microseconds (e.g. 20)", kExitUsage);
  }
  if (cfg.wait == WaitPolicy::kBusyPoll && (cfg.busy_poll_budget == 0 || cfg.busy_poll_budget > 65535)) {
    throw Error("--busy-poll-budget " + str(cfg.busy_poll_budget) + " is out of range",
                "use 1..65535 packets per busy poll (e.g. 64)", kExitUsage);
  }
  const std::size_t room = cfg.frame_size - kXdpHeadroom;
  if (frame_len(payload_len) > room) {
    throw Error("--size " + str(payload_len) + " doesn't fit a " + str(cfg.frame_size) +
                    "-byte UMEM frame (at most " + str(room - kHeadersLen) +
                    " payload bytes after " + str(kXdpHeadroom) + " bytes of XDP headroom and " +
                    str(kHeadersLen) + " of headers)",
                "use --size " + str(room - kHeadersLen) + " or less" +
                    (cfg.frame_size < 4096 ? ", or --frame-size 4096" : ""),
                kExitUsage);
  }
  if (cfg.dev.empty()) {
    throw Error("no --dev given", "name the veth to use, e.g. --dev veth1", kExitUsage);
  }
  const DeviceInfo dev = query_device(cfg.dev);
  require_link_up(cfg.dev, "");
  check_payload_fits(cfg.dev, payload_len);
  if (dev.rx_queues != 0 && cfg.queue >= dev.rx_queues) {
    throw Error("queue " + str(cfg.queue) + " doesn't exist on " + cfg.dev + " (it has " +
                    str(dev.rx_queues) + " RX queue" + (dev.rx_queues == 1 ? "" : "s") + ")",
                "use --queue 0" +
                    (dev.rx_queues > 1 ? ".." + str(dev.rx_queues - 1) : std::string()) +
                    " (ethtool -l " + cfg.dev + ")",
                kExitUsage);
  }
  require_capability(Privilege::kNetRaw, "create AF_XDP sockets");
  require_capability(Privilege::kNetAdmin, "bind AF_XDP sockets and attach XDP programs");
  if (cfg.rx) require_capability(Privilege::kBpf, "load the XDP steering program");
}

nlohmann::json to_json(const AfXdpConfig& cfg) {
  return {{"dev", cfg.dev},
          {"queue", cfg.queue},
          {"xdp_mode_requested", to_string(cfg.mode)},
          {"zero_copy_requested", cfg.zero_copy},
          {"need_wakeup_requested", cfg.need_wakeup},
          {"batch", cfg.batch},
          {"ring_size", cfg.ring_size},
          {"umem", to_json(cfg.umem_config())},
          {"rx", cfg.rx},
          {"tx", cfg.tx},
          {"dst_port", cfg.frame.dst_port},
          {"steered_port", cfg.steered_port()}};
}

}  // namespace copylab

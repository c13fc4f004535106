#include "xdp/xsk_forwarder_config.hpp"

#include <linux/if_ether.h>

#include <string>

#include "common/error.hpp"
#include "datapath/forwarder_devices.hpp"
#include "xdp/device.hpp"

namespace copylab {

UmemConfig XskForwarderConfig::umem_config() const {
  UmemConfig u;
  u.frame_size = frame_size;
  u.frame_count = frame_count;
  u.fill_size = ring_size * 2;
  u.comp_size = ring_size * 2;
  return u;
}

void validate(const XskForwarderConfig& cfg) {
  const ForwarderMtus mtu = check_forwarder_devices(cfg.in_dev, cfg.out_dev);
  validate(cfg.umem_config());
  const std::uint64_t need = std::uint64_t{mtu.in} + ETH_HLEN + kXdpPacketHeadroom;
  if (need > cfg.frame_size) {
    throw Error("a " + std::to_string(mtu.in) + "-byte MTU frame from " + cfg.in_dev +
                    " plus Ethernet header and the kernel's " +
                    std::to_string(kXdpPacketHeadroom) + "-byte headroom needs " +
                    std::to_string(need) + " bytes, more than --frame-size " +
                    std::to_string(cfg.frame_size),
                "use --frame-size 4096, or lower " + cfg.in_dev + "'s MTU", kExitUsage);
  }
  if (cfg.two_way && mtu.in != mtu.out) {
    throw Error("--two-way: " + cfg.in_dev + " has MTU " + std::to_string(mtu.in) + " and " +
                    cfg.out_dev + " " + std::to_string(mtu.out) +
                    ": frames going back could not leave " + cfg.in_dev + " whole",
                "give both devices the same MTU (ip link set dev " + cfg.in_dev + " mtu " +
                    std::to_string(mtu.out) + ")",
                kExitUsage);
  }
  if (cfg.two_way && cfg.back_dst_mac == MacAddr{}) {
    throw Error("--two-way needs --back-dst-mac (the next hop behind " + cfg.in_dev + ")",
                "pass --back-dst-mac with A's MAC", kExitUsage);
  }
  if (cfg.wait != WaitPolicy::kSpin && cfg.wait != WaitPolicy::kPoll) {
    throw Error(std::string("--wait ") + to_string(cfg.wait) + " is not supported by the forwarder",
                "use --wait spin or --wait poll", kExitUsage);
  }
  if (cfg.batch == 0 || cfg.batch > cfg.ring_size) {
    throw Error("--batch " + std::to_string(cfg.batch) + " is outside 1..--ring-size (" +
                    std::to_string(cfg.ring_size) + ")",
                "use a batch of at most the ring size", kExitUsage);
  }
}

nlohmann::json to_json(const XskForwarderConfig& cfg) {
  return {{"in_dev", cfg.in_dev},
          {"out_dev", cfg.out_dev},
          {"queue", cfg.queue},
          {"xdp_mode_requested", to_string(cfg.mode)},
          {"steered_udp_port", cfg.steer_port},
          {"batch", cfg.batch},
          {"ring_size", cfg.ring_size},
          {"need_wakeup", cfg.need_wakeup},
          {"wait", to_string(cfg.wait)},
          {"two_way", cfg.two_way},
          {"umem", to_json(cfg.umem_config())}};
}

}  // namespace copylab

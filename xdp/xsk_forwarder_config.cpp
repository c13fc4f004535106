#include "xdp/xsk_forwarder_config.hpp"

#include <linux/if_ether.h>

#include <string>

#include "common/error.hpp"
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
  if (cfg.in_dev == cfg.out_dev) {
    throw Error("--in-dev and --out-dev are both " + cfg.in_dev +
                    ": a forwarder takes frames in on one device and sends them out of another",
                "name M's ingress device (A's peer) with --in-dev and its egress device (B's peer) "
                "with --out-dev",
                kExitUsage);
  }
  const DeviceInfo in = query_device(cfg.in_dev);    // Error naming `ip link` when missing
  const DeviceInfo out = query_device(cfg.out_dev);
  if (out.mtu < in.mtu) {
    throw Error("--out-dev " + cfg.out_dev + " has MTU " + std::to_string(out.mtu) +
                    ", smaller than --in-dev " + cfg.in_dev + "'s " + std::to_string(in.mtu) +
                    ": frames " + cfg.in_dev + " takes in could not leave " + cfg.out_dev,
                "raise it (ip link set dev " + cfg.out_dev + " mtu " + std::to_string(in.mtu) +
                    ") or lower " + cfg.in_dev + "'s",
                kExitUsage);
  }
  validate(cfg.umem_config());
  const std::uint64_t need = std::uint64_t{in.mtu} + ETH_HLEN + kXdpPacketHeadroom;
  if (need > cfg.frame_size) {
    throw Error("a " + std::to_string(in.mtu) + "-byte MTU frame from " + cfg.in_dev +
                    " plus Ethernet header and the kernel's " +
                    std::to_string(kXdpPacketHeadroom) + "-byte headroom needs " +
                    std::to_string(need) + " bytes, more than --frame-size " +
                    std::to_string(cfg.frame_size),
                "use --frame-size 4096, or lower " + cfg.in_dev + "'s MTU", kExitUsage);
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
          {"umem", to_json(cfg.umem_config())}};
}

}  // namespace copylab

// What the AF_XDP shared-UMEM forwarder is set up with: the ingress device (steering program and
// the UMEM's first socket, RX), the egress device (a second socket bound with XDP_SHARED_UMEM,
// TX), the Ethernet addresses it writes into each frame, and the ring/UMEM geometry. Checked
// before anything touches the kernel, so bad input gets one line naming the fix and changes
// nothing.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "datapath/wait_policy.hpp"
#include "packet/addr.hpp"
#include "umem/umem_config.hpp"
#include "xdp/xdp_mode.hpp"

namespace copylab {

struct XskForwarderConfig {
  std::string in_dev;
  std::string out_dev;
  std::uint32_t queue = 0;            // the same queue index on both devices (veth: only 0)
  XdpMode mode = XdpMode::kAuto;      // the steering program's attach mode on in_dev
  std::uint16_t steer_port = 9999;    // UDP destination port redirected into the socket
  MacAddr dst_mac{};                  // the next hop behind out_dev
  std::optional<MacAddr> src_mac;     // default: out_dev's own MAC
  std::size_t batch = 64;             // descriptors per ring operation
  std::uint32_t frame_size = 2048;
  std::uint32_t frame_count = 4096;
  std::uint32_t ring_size = 2048;     // RX ring (in) and TX ring (out); fill/completion 2x
  bool need_wakeup = true;
  WaitPolicy wait = WaitPolicy::kSpin;  // kSpin or kPoll
  bool force_replace = false;
  bool offer_force_replace = false;
  // Both ways: frames to back_steer_port arriving on out_dev go out of in_dev too (a second
  // steering program on out_dev, the second socket gains an RX ring, the first a TX ring).
  bool two_way = false;
  std::uint16_t back_steer_port = 0;   // 0: steer_port
  MacAddr back_dst_mac{};              // the next hop behind in_dev (A's MAC); required two-way
  std::optional<MacAddr> back_src_mac; // default: in_dev's own MAC

  std::uint16_t back_port() const noexcept { return back_steer_port != 0 ? back_steer_port : steer_port; }

  UmemConfig umem_config() const;
};

// The kernel's headroom in front of every frame AF_XDP copy mode writes into a UMEM frame
// (XDP_PACKET_HEADROOM, include/uapi/linux/bpf.h).
inline constexpr std::uint32_t kXdpPacketHeadroom = 256;

// Throws Error (kExitUsage) with the fix for: the same device twice, a device missing in this
// namespace, an egress MTU smaller than the ingress MTU (frames the ingress device takes could
// not leave), frames of the ingress MTU not fitting a UMEM frame after the headroom, ring/frame
// sizes that are not powers of two, a wait policy other than spin/poll; two-way: MTUs that
// differ (frames must leave whole both ways), no --back-dst-mac. Looks the devices up in
// the calling thread's network namespace.
void validate(const XskForwarderConfig& cfg);
nlohmann::json to_json(const XskForwarderConfig& cfg);

}  // namespace copylab

// Everything the AF_XDP datapath needs to know: device and queue, XDP attach mode, bind mode,
// ring/UMEM geometry, wait policy, the frames it sends and the port it steers. Validated before
// anything touches the kernel, so bad input gets one line naming the fix and changes nothing.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "datapath/datapath.hpp"
#include "packet/frame.hpp"
#include "umem/umem_config.hpp"
#include "xdp/steer_program.hpp"

namespace copylab {

struct AfXdpConfig {
  std::string dev;
  std::uint32_t queue = 0;
  XdpMode mode = XdpMode::kAuto;
  bool zero_copy = false;
  bool need_wakeup = true;
  std::size_t payload_size = 64;       // UDP payload bytes of each TX frame (the traffic --size)
  std::size_t batch = 64;              // descriptors per ring operation / kick
  std::uint32_t frame_size = 2048;
  std::uint32_t frame_count = 4096;
  std::uint32_t ring_size = 2048;      // RX and TX rings; fill and completion rings are 2x
  bool huge_pages = false;
  WaitPolicy wait = WaitPolicy::kSpin;
  std::uint32_t busy_poll_usec = 20;   // SO_BUSY_POLL, for WaitPolicy::kBusyPoll
  std::uint32_t busy_poll_budget = 64; // SO_BUSY_POLL_BUDGET
  FrameSpec frame = default_frame_spec();  // TX headers
  std::uint16_t steer_port = 0;        // UDP port redirected to the socket; 0 = frame.dst_port
                                       // (a pinger steers its replies: frame.src_port)
  bool rx = true;
  bool tx = true;
  bool force_replace = false;
  // The user could have passed --force-replace (so a refusal may suggest it): set by the option
  // parser of a tool run by hand, not for a tool started by another copylab program.
  bool offer_force_replace = false;

  // The default recipe: 00:00:00:00:00:01 / 10.0.0.1 → 00:00:00:00:00:02 / 10.0.0.2, 9000 → 9999.
  static FrameSpec default_frame_spec();
  // UMEM geometry derived from the ring size and frame options.
  UmemConfig umem_config() const;
  // Frames kept on the fill ring / RX ring (RX budget) and the rest for TX.
  std::uint32_t rx_frames() const;
  std::uint16_t steered_port() const { return steer_port != 0 ? steer_port : frame.dst_port; }
};

// Throws Error(kExitUsage) with the fix for: ring/frame sizes not powers of two, batch out of
// range, payload larger than a UMEM frame (after XDP headroom) or the device MTU, unknown
// interface or queue; Error for missing capabilities. Looks the device up in the calling
// thread's network namespace.
void validate(const AfXdpConfig& cfg, std::size_t payload_len);
nlohmann::json to_json(const AfXdpConfig& cfg);

}  // namespace copylab

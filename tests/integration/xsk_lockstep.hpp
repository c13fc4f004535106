// Both ends of an AF_XDP transfer driven one step at a time from one thread, on copylab's lowest
// AF_XDP classes (Umem, XskSocket, SteerProgram): the test decides when the fill ring gets
// frames, when the RX ring is read, when TX is kicked and when completions are reaped. In copy
// mode the kernel transmits only inside the kick (sendto), at most one budget per call, so every
// count it reports follows from the steps and not from timing; waits only let softirq work that
// was already queued finish (bounded).
#pragma once

#include <linux/if_xdp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netns/topology.hpp"
#include "packet/frame.hpp"
#include "umem/umem.hpp"
#include "xdp/steer_program.hpp"
#include "xdp/xsk_socket.hpp"

namespace copylab::test {

inline constexpr std::size_t kLockstepPayload = 64;
inline constexpr std::uint16_t kLockstepPort = 9999;
inline constexpr std::uint64_t kNotOurs = UINT64_MAX;  // a frame read that isn't a valid payload

struct XskShape {
  std::uint32_t frames = 64;  // UMEM frames (2048 bytes each)
  std::uint32_t fill = 64;    // fill ring entries
  std::uint32_t comp = 64;    // completion ring entries
  std::uint32_t ring = 64;    // RX ring (receiver) or TX ring (sender) entries
};

// Polls `done` every 200 µs for up to `limit`; true once it holds.
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(10));

// The receiving end on dev B: a UMEM, an RX-only socket and the steering program redirecting
// UDP to kLockstepPort into it. Nothing is put on the fill ring until post_fill().
class XskRx {
 public:
  static std::unique_ptr<XskRx> create(const TopologyConfig& t, XdpMode mode, const XskShape& s);

  // Moves up to n free frames onto the fill ring; returns how many.
  std::uint32_t post_fill(std::uint32_t n);
  // Descriptors the kernel has published on the RX ring since bind (its producer index).
  std::uint32_t produced() const;
  // Reads up to `max` descriptors from the RX ring (frames fill → rx) and returns the payload
  // sequence numbers, kNotOurs for a frame that does not parse.
  std::vector<std::uint64_t> read(std::uint32_t max);
  // Puts every frame read so far back on the fill ring (rx → fill); returns how many.
  std::uint32_t recycle_read();
  xdp_statistics stats() const { return xsk_.statistics(); }
  // The steering program's count of frames it handed to bpf_redirect_map (summed over CPUs).
  std::uint64_t redirected() const;
  const FrameAllocator& frames() const { return umem_.frames(); }
  std::string describe() const;

  XskRx(const TopologyConfig& t, XdpMode mode, const XskShape& s);

 private:
  Umem umem_;
  XskSocket xsk_;
  SteerProgram steer_;  // declared last: detached first
  std::vector<std::uint64_t> read_addrs_;
};

// The sending end on dev A: a UMEM and a TX-only socket (no XDP program).
class XskTx {
 public:
  static std::unique_ptr<XskTx> create(const TopologyConfig& t, const XskShape& s);

  // Writes a frame carrying payload `seq` into a free frame at `offset` from its start (the
  // frame moves free → tx); the descriptor to post, or nullopt when no frame is free.
  std::optional<xdp_desc> build(std::uint64_t seq, std::uint32_t offset = 0);
  // Puts all of `descs` on the TX ring, or nothing when the ring lacks room.
  bool post(std::span<const xdp_desc> descs);
  // One sendto(MSG_DONTWAIT) kick; 0 or the errno.
  int kick();
  std::uint32_t posted() const;    // TX ring producer
  std::uint32_t consumed() const;  // TX ring consumer as the kernel published it
  std::uint32_t completions_ready();
  // Reads every visible completion (frames tx → completion → free; an address outside the UMEM,
  // which only an invalid descriptor can carry, moves nothing) and returns the addresses.
  std::vector<std::uint64_t> reap();
  // Gives back a frame whose descriptor the kernel skipped as invalid (tx → free).
  void release_skipped(std::uint64_t addr);
  xdp_statistics stats() const { return xsk_.statistics(); }
  const FrameAllocator& frames() const { return umem_.frames(); }
  std::uint64_t umem_bytes() const;
  std::uint32_t frame_size() const { return umem_.config().frame_size; }
  std::string describe();

  XskTx(const TopologyConfig& t, const XskShape& s);

 private:
  Umem umem_;
  XskSocket xsk_;
  FrameSpec spec_;
  std::uint16_t ip_id_ = 0;
};

std::string to_string(const xdp_statistics& st);

}  // namespace copylab::test

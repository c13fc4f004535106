// One traffic path, in one type: which datapath carries the traffic (UDP socket, AF_XDP, or DPDK's
// net_af_xdp PMD, an AF_XDP socket driven by DPDK), the
// XDP attach mode (AF_XDP only), how the datapath waits for data, whether the AF_XDP socket
// uses XDP_USE_NEED_WAKEUP, whether it binds XDP_ZEROCOPY, and the CPU its thread is pinned to. compare, hist, latency, the
// bench and the tests describe their paths with it; tool_argv.hpp turns it into a tool's flags.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "datapath/wait_policy.hpp"
#include "xdp/xdp_mode.hpp"

namespace copylab {

enum class DatapathKind { kSocket, kAfXdp, kDpdk };

// "socket", "af_xdp", "dpdk": the names compare's JSON, pair ids and report use.
constexpr const char* to_string(DatapathKind d) noexcept {
  return d == DatapathKind::kSocket ? "socket" : d == DatapathKind::kAfXdp ? "af_xdp" : "dpdk";
}
// The exact names to_string prints; nullopt for anything else.
std::optional<DatapathKind> parse_datapath_kind(std::string_view text) noexcept;

// Which AF_XDP binds a command runs (`--xsk-bind`, compare and latency alike): copy mode
// (XDP_COPY), zero-copy (XDP_ZEROCOPY), or both (each AF_XDP path once per bind, on the same
// devices and traffic).
enum class XskBindChoice { kCopy, kZeroCopy, kBoth };
constexpr const char* to_string(XskBindChoice b) noexcept {
  return b == XskBindChoice::kCopy ? "copy" : b == XskBindChoice::kZeroCopy ? "zero-copy" : "both";
}
// The exact names to_string prints; nullopt for anything else.
std::optional<XskBindChoice> parse_xsk_bind(std::string_view text) noexcept;

// A checked path: made only by socket_path / af_xdp_path / dpdk_path / make_path_spec, which reject what a
// datapath cannot do and normalise what it ignores, so two specs for the same path compare equal.
class PathSpec {
 public:
  // A socket path blocking in recv, unpinned (the socket tools' defaults).
  PathSpec() = default;

  DatapathKind datapath() const noexcept { return datapath_; }
  // AF_XDP: the steering program's attach mode. Socket: always XdpMode::kAuto (unused).
  XdpMode xdp_mode() const noexcept { return xdp_mode_; }
  WaitPolicy wait() const noexcept { return wait_; }
  // AF_XDP: XDP_USE_NEED_WAKEUP. Socket: always false.
  bool need_wakeup() const noexcept { return need_wakeup_; }
  // AF_XDP: bind with XDP_ZEROCOPY (else XDP_COPY). Socket: always false.
  bool zero_copy() const noexcept { return zero_copy_; }
  // The CPU the datapath's thread is pinned to; -1 = not pinned.
  int cpu() const noexcept { return cpu_; }
  bool af_xdp() const noexcept { return datapath_ == DatapathKind::kAfXdp; }
  bool dpdk() const noexcept { return datapath_ == DatapathKind::kDpdk; }

  // The same path pinned to `cpu` (-1 = not pinned); Error(kExitUsage) for cpu < -1.
  PathSpec on_cpu(int cpu) const;
  // The same AF_XDP path bound zero-copy (true) or copy mode (false); Error(kExitUsage) for a
  // socket path asked for zero-copy.
  PathSpec with_zero_copy(bool zero_copy) const;

  bool operator==(const PathSpec&) const = default;

  friend PathSpec make_path_spec(DatapathKind, XdpMode, WaitPolicy, bool, int);

 private:
  DatapathKind datapath_ = DatapathKind::kSocket;
  XdpMode xdp_mode_ = XdpMode::kAuto;
  WaitPolicy wait_ = WaitPolicy::kBlock;
  bool need_wakeup_ = false;
  bool zero_copy_ = false;
  int cpu_ = -1;
};

// The one place a PathSpec is checked. Throws Error(kExitUsage) for an AF_XDP path that blocks
// (an XSK has no blocking receive: spin, poll or busy-poll), a DPDK path that does not spin or
// busy-poll (the PMD's only two receive loops) and for cpu < -1. A socket or DPDK path's XDP mode
// and need_wakeup are normalised to kAuto and false (the PMD attaches its own program natively
// where it can and always binds with XDP_USE_NEED_WAKEUP).
PathSpec make_path_spec(DatapathKind datapath, XdpMode xdp_mode, WaitPolicy wait,
                        bool need_wakeup, int cpu);

// A UDP socket path (the socket tools' default wait is block).
PathSpec socket_path(WaitPolicy wait = WaitPolicy::kBlock, int cpu = -1);
// An AF_XDP path (the AF_XDP tools' defaults: spin, need_wakeup on).
PathSpec af_xdp_path(XdpMode mode, WaitPolicy wait = WaitPolicy::kSpin, bool need_wakeup = true,
                     int cpu = -1);

// A DPDK path (the DPDK tools' default: spin on rte_eth_rx_burst).
PathSpec dpdk_path(WaitPolicy wait = WaitPolicy::kSpin, int cpu = -1);

// "socket/block", "af_xdp/spin/native/need_wakeup", with "/zero-copy" when bound zero-copy and
// "/cpu<N>" when pinned.
std::string describe(const PathSpec& p);

}  // namespace copylab

// The named ping-pong modes: which datapath and wait policy each side uses. The table is data,
// so the command line (--modes), the report columns and the tests all read the same list.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "pathspec/path_spec.hpp"

namespace copylab {

enum class SideKind {
  kSocket,       // UDP socket (sock/)
  kAfXdp,        // AF_XDP socket behind the steering program (xdp/)
  kXdpTxReflector,  // pong only: reflect.bpf.c answers with XDP_TX, no user space at all
  kDpdk,         // DPDK's net_af_xdp PMD, in its own process (dpdk_pingpong: one EAL per process)
};

// One side of a ping-pong: a path (datapath, wait, XDP mode, need_wakeup; PathSpec checks it),
// or, for a pong, the XDP_TX reflector (no user space; path.xdp_mode() is its attach mode).
// The CPU comes from --cpu-ping/--cpu-pong at run time, so the table's paths are unpinned.
struct SideSpec {
  PathSpec path;
  bool xdp_tx_reflector = false;
  SideKind kind() const noexcept {
    if (xdp_tx_reflector) return SideKind::kXdpTxReflector;
    if (path.dpdk()) return SideKind::kDpdk;
    return path.af_xdp() ? SideKind::kAfXdp : SideKind::kSocket;
  }
};

struct ModeSpec {
  std::string name;
  std::string description;
  SideSpec ping;
  SideSpec pong;
  bool in_default_set = true;
};

const std::vector<ModeSpec>& all_modes();
// The socket baseline: ratios to it are reported when it ran.
inline constexpr std::string_view kBaselineMode = "sock-block";
// The floor of a ping-pong on this path: no socket and no user-space pong (an AF_XDP spinning
// pinger against the XDP_TX reflector). Every mode's ratio to it is reported when it ran.
inline constexpr std::string_view kFloorMode = "xsk-xdptx-native";

// The DPDK mode: in the default set, run where the DPDK tools are built and start (else skipped
// with one line saying why); named explicitly, its absence is a usage error.
inline constexpr std::string_view kDpdkMode = "dpdk-spin";

// "all", "default", or a comma list of names; unknown names → Error(kExitUsage) listing them.
std::vector<ModeSpec> parse_modes(std::string_view text);

// True when `text` (the --modes value) names `mode` itself, not through "all" or "default".
bool names_mode(std::string_view text, std::string_view mode);

// The name suffix of a mode bound zero-copy: "xsk-poll-native-zc".
inline constexpr std::string_view kZeroCopySuffix = "-zc";
// True when the mode has an AF_XDP side on native XDP: the only kind zero-copy can bind (generic
// XDP hands the XSK an skb, which net/xdp/xsk.c xsk_generic_rcv always copies).
bool zero_copy_applies(const ModeSpec& m) noexcept;
// The modes as --xsk-bind asks: copy, as given; zero-copy, every mode zero_copy_applies to is
// bound XDP_ZEROCOPY on its native AF_XDP sides and named "<mode>-zc" (the others unchanged);
// both, each such mode followed by its "-zc" twin. Error(kExitUsage) when zero-copy applies to
// none of them.
std::vector<ModeSpec> apply_xsk_bind(const std::vector<ModeSpec>& modes, XskBindChoice bind);

const char* to_string(SideKind k) noexcept;
// "socket/block", "af_xdp/spin/native/need_wakeup", "xdp_tx/native"
std::string describe(const SideSpec& s);
nlohmann::json to_json(const SideSpec& s);
bool uses_af_xdp(const ModeSpec& m) noexcept;
bool uses_reflector(const ModeSpec& m) noexcept;
// A side runs DPDK: the mode runs out of process (latency/tool_sides).
bool uses_dpdk(const ModeSpec& m) noexcept;
// The reflector's peer (the ping device) needs a native XDP program, and the ping side does not
// bring one: anything but an AF_XDP pinger in native mode.
bool needs_peer_pass_through(const ModeSpec& m) noexcept;

}  // namespace copylab

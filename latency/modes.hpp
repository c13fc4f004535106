// The named ping-pong modes: which datapath and wait policy each side uses. The table is data,
// so the command line (--modes), the report columns and the tests all read the same list.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "datapath/datapath.hpp"
#include "xdp/xdp_mode.hpp"

namespace copylab {

enum class SideKind {
  kSocket,       // UDP socket (sock/)
  kAfXdp,        // AF_XDP socket behind the steering program (xdp/)
  kXdpTxReflector,  // pong only: reflect.bpf.c answers with XDP_TX, no user space at all
};

struct SideSpec {
  SideKind kind = SideKind::kSocket;
  WaitPolicy wait = WaitPolicy::kBlock;
  XdpMode xdp = XdpMode::kNative;  // AF_XDP and reflector only: native or generic
  bool need_wakeup = false;                    // AF_XDP only
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

// "all", "default", or a comma list of names; unknown names → Error(kExitUsage) listing them.
std::vector<ModeSpec> parse_modes(std::string_view text);

const char* to_string(SideKind k) noexcept;
const char* to_string(WaitPolicy w) noexcept;
// "socket/block", "af_xdp/spin/native/need_wakeup", "xdp_tx/native"
std::string describe(const SideSpec& s);
nlohmann::json to_json(const SideSpec& s);
bool uses_af_xdp(const ModeSpec& m) noexcept;
bool uses_reflector(const ModeSpec& m) noexcept;
// The reflector's peer (the ping device) needs a native XDP program, and the ping side does not
// bring one: anything but an AF_XDP pinger in native mode.
bool needs_peer_pass_through(const ModeSpec& m) noexcept;

}  // namespace copylab

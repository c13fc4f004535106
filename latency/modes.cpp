#include "latency/modes.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace copylab {

namespace {

SideSpec sock(WaitPolicy w) { return {socket_path(w), false}; }
SideSpec xsk(WaitPolicy w, XdpMode m, bool wakeup = false) { return {af_xdp_path(m, w, wakeup), false}; }
// The reflector spins in no user-space loop; its path carries the attach mode only.
SideSpec dpdk(WaitPolicy w) { return {dpdk_path(w), false}; }
SideSpec reflector(XdpMode m) { return {af_xdp_path(m, WaitPolicy::kSpin, false), true}; }

constexpr auto kNative = XdpMode::kNative;
constexpr auto kGeneric = XdpMode::kGeneric;

}  // namespace

const std::vector<ModeSpec>& all_modes() {
  static const std::vector<ModeSpec> modes = {
      {"sock-block", "UDP sockets, blocking recv on both sides (the baseline)",
       sock(WaitPolicy::kBlock), sock(WaitPolicy::kBlock), true},
      {"sock-spin", "UDP sockets, MSG_DONTWAIT spinning on both sides", sock(WaitPolicy::kSpin),
       sock(WaitPolicy::kSpin), true},
      {"sock-busypoll", "UDP sockets, SO_BUSY_POLL + SO_PREFER_BUSY_POLL on both sides",
       sock(WaitPolicy::kBusyPoll), sock(WaitPolicy::kBusyPoll), true},
      {"xsk-spin-native", "AF_XDP spinning on the rings, native XDP, need_wakeup off",
       xsk(WaitPolicy::kSpin, kNative), xsk(WaitPolicy::kSpin, kNative), true},
      {"xsk-spin-generic", "AF_XDP spinning on the rings, generic (skb) XDP, need_wakeup off",
       xsk(WaitPolicy::kSpin, kGeneric), xsk(WaitPolicy::kSpin, kGeneric), true},
      {"xsk-wakeup-native", "AF_XDP spinning, native XDP, need_wakeup on",
       xsk(WaitPolicy::kSpin, kNative, true), xsk(WaitPolicy::kSpin, kNative, true), true},
      {"xsk-wakeup-generic", "AF_XDP spinning, generic XDP, need_wakeup on",
       xsk(WaitPolicy::kSpin, kGeneric, true), xsk(WaitPolicy::kSpin, kGeneric, true), false},
      {"xsk-poll-native", "AF_XDP waiting in poll(2), native XDP, need_wakeup on",
       xsk(WaitPolicy::kPoll, kNative, true), xsk(WaitPolicy::kPoll, kNative, true), true},
      {"xsk-busypoll-native", "AF_XDP with SO_BUSY_POLL + SO_PREFER_BUSY_POLL, native XDP",
       xsk(WaitPolicy::kBusyPoll, kNative, true), xsk(WaitPolicy::kBusyPoll, kNative, true), false},
      {"mixed-sock-xsk", "UDP socket spinning pings an AF_XDP pong (spin, native)",
       sock(WaitPolicy::kSpin), xsk(WaitPolicy::kSpin, kNative), true},
      {"mixed-xsk-sock", "AF_XDP ping (spin, native) against a spinning UDP socket pong",
       xsk(WaitPolicy::kSpin, kNative), sock(WaitPolicy::kSpin), true},
      {"mixed-block-xsk", "blocking UDP socket pings an AF_XDP pong (spin, native)",
       sock(WaitPolicy::kBlock), xsk(WaitPolicy::kSpin, kNative), false},
      {"xsk-xdptx-native",
       "AF_XDP spinning pinger (native) against the XDP_TX reflector (native): the floor",
       xsk(WaitPolicy::kSpin, kNative), reflector(kNative), true},
      {"xdp-tx-native", "spinning UDP socket against the XDP_TX reflector (native)",
       sock(WaitPolicy::kSpin), reflector(kNative), true},
      {"xdp-tx-block", "blocking UDP socket against the XDP_TX reflector (native)",
       sock(WaitPolicy::kBlock), reflector(kNative), false},
      {"xdp-tx-generic", "spinning UDP socket against the XDP_TX reflector (generic XDP)",
       sock(WaitPolicy::kSpin), reflector(kGeneric), false},
      {std::string(kDpdkMode),
       "DPDK's net_af_xdp PMD busy-polling rte_eth_rx_burst on both sides (each side its own "
       "process and EAL; where DPDK is built and starts)",
       dpdk(WaitPolicy::kSpin), dpdk(WaitPolicy::kSpin), true},
  };
  return modes;
}

namespace {

// Calls fn(item) for each blank-trimmed, non-empty item of a comma list.
template <typename Fn>
void for_each_item(std::string_view text, Fn&& fn) {
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) fn(item);
  }
}

}  // namespace

bool names_mode(std::string_view text, std::string_view mode) {
  bool named = false;
  for_each_item(text, [&](std::string_view item) { named = named || item == mode; });
  return named;
}

std::vector<ModeSpec> parse_modes(std::string_view text) {
  const auto& table = all_modes();
  std::vector<ModeSpec> out;
  auto add = [&](const ModeSpec& m) {
    if (std::none_of(out.begin(), out.end(), [&](const ModeSpec& o) { return o.name == m.name; }))
      out.push_back(m);
  };
  std::string unknown;
  for_each_item(text, [&](std::string_view item) {
    if (item == "all") {
      for (const auto& m : table) add(m);
    } else if (item == "default") {
      for (const auto& m : table) {
        if (m.in_default_set) add(m);
      }
    } else {
      auto it = std::find_if(table.begin(), table.end(),
                             [&](const ModeSpec& m) { return m.name == item; });
      if (it == table.end()) {
        unknown += (unknown.empty() ? "" : ", ") + std::string(item);
      } else {
        add(*it);
      }
    }
  });
  if (!unknown.empty() || out.empty()) {
    std::string names;
    for (const auto& m : table) names += (names.empty() ? "" : ",") + m.name;
    throw Error("--modes: " + (unknown.empty() ? std::string("no mode given")
                                               : "unknown mode(s) " + unknown),
                "choose from all, default, " + names, kExitUsage);
  }
  return out;
}

namespace {

// The side bound zero-copy where it is an AF_XDP socket on native XDP; anything else as it was.
SideSpec zero_copy_side(const SideSpec& s) {
  if (s.kind() != SideKind::kAfXdp || s.path.xdp_mode() != XdpMode::kNative) return s;
  SideSpec z = s;
  z.path = s.path.with_zero_copy(true);
  return z;
}

}  // namespace

bool zero_copy_applies(const ModeSpec& m) noexcept {
  for (const SideSpec* s : {&m.ping, &m.pong}) {
    if (s->kind() == SideKind::kAfXdp && s->path.xdp_mode() == XdpMode::kNative) return true;
  }
  return false;
}

std::vector<ModeSpec> apply_xsk_bind(const std::vector<ModeSpec>& modes, XskBindChoice bind) {
  if (bind == XskBindChoice::kCopy) return modes;
  std::vector<ModeSpec> out;
  for (const ModeSpec& m : modes) {
    if (!zero_copy_applies(m)) {
      out.push_back(m);
      continue;
    }
    if (bind == XskBindChoice::kBoth) out.push_back(m);
    ModeSpec z = m;
    z.name += std::string(kZeroCopySuffix);
    z.description += ", bound zero-copy (XDP_ZEROCOPY)";
    z.ping = zero_copy_side(m.ping);
    z.pong = zero_copy_side(m.pong);
    out.push_back(std::move(z));
  }
  if (std::none_of(out.begin(), out.end(), [](const ModeSpec& m) {
        return m.ping.path.zero_copy() || m.pong.path.zero_copy();
      })) {
    throw Error(std::string("--xsk-bind ") + to_string(bind) +
                    ": none of the --modes binds an AF_XDP socket on native XDP (zero-copy needs "
                    "a driver's own XDP support, not generic XDP)",
                "add a native AF_XDP mode, e.g. --modes sock-block,xsk-poll-native", kExitUsage);
  }
  return out;
}

const char* to_string(SideKind k) noexcept {
  switch (k) {
    case SideKind::kSocket: return "socket";
    case SideKind::kAfXdp: return "af_xdp";
    case SideKind::kXdpTxReflector: return "xdp_tx";
    case SideKind::kDpdk: return "dpdk";
  }
  return "?";
}

std::string describe(const SideSpec& s) {
  if (s.xdp_tx_reflector) return std::string(to_string(s.kind())) + "/" + to_string(s.path.xdp_mode());
  return describe(s.path);
}

nlohmann::json to_json(const SideSpec& s) {
  const SideKind kind = s.kind();
  nlohmann::json j{{"kind", to_string(kind)}};
  if (kind != SideKind::kXdpTxReflector) j["wait"] = to_string(s.path.wait());
  if (kind == SideKind::kAfXdp || kind == SideKind::kXdpTxReflector) j["xdp_mode"] = to_string(s.path.xdp_mode());
  if (kind == SideKind::kAfXdp) {
    j["need_wakeup"] = s.path.need_wakeup();
    j["zero_copy_requested"] = s.path.zero_copy();
  }
  return j;
}

bool uses_af_xdp(const ModeSpec& m) noexcept {
  return m.ping.kind() == SideKind::kAfXdp || m.pong.kind() == SideKind::kAfXdp;
}
bool uses_reflector(const ModeSpec& m) noexcept {
  return m.pong.kind() == SideKind::kXdpTxReflector;
}
bool uses_dpdk(const ModeSpec& m) noexcept {
  return m.ping.kind() == SideKind::kDpdk || m.pong.kind() == SideKind::kDpdk;
}
bool needs_peer_pass_through(const ModeSpec& m) noexcept {
  return uses_reflector(m) &&
         !(m.ping.kind() == SideKind::kAfXdp && m.ping.path.xdp_mode() == XdpMode::kNative);
}

}  // namespace copylab

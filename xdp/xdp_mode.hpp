// The XDP attach mode a user asks for, in one type: native (in the driver, "drv" in iproute2 and
// xdp-tools), generic (on the skb, "skb" in iproute2 and xdp-tools), or auto (native, then
// generic). Parsed from text once, where it enters; printed with to_string everywhere.
// Header-only so every folder (compare, hist, the verdicts) can use it without linking xdp/.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace copylab {

enum class XdpMode { kNative, kGeneric, kAuto };

// "native", "generic", "auto": the names copylab prints and writes to JSON.
constexpr const char* to_string(XdpMode m) noexcept {
  switch (m) {
    case XdpMode::kNative: return "native";
    case XdpMode::kGeneric: return "generic";
    case XdpMode::kAuto: return "auto";
  }
  return "?";
}

// What parse_xdp_mode accepts, for help texts and errors.
inline constexpr std::string_view kXdpModeChoices = "native|drv, generic|skb, auto";

// native|drv, generic|skb, auto (ASCII case ignored); nullopt for anything else.
constexpr std::optional<XdpMode> parse_xdp_mode(std::string_view text) noexcept {
  struct Name {
    std::string_view name;
    XdpMode mode;
  };
  constexpr std::array<Name, 5> kNames{{{"native", XdpMode::kNative},
                                        {"drv", XdpMode::kNative},
                                        {"generic", XdpMode::kGeneric},
                                        {"skb", XdpMode::kGeneric},
                                        {"auto", XdpMode::kAuto}}};
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const Name& n : kNames) {
    if (n.name.size() != text.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < text.size() && same; ++i) same = lower(text[i]) == n.name[i];
    if (same) return n.mode;
  }
  return std::nullopt;
}

// parse_xdp_mode, or Error(kExitUsage) naming `what` (an option or a JSON field) and the
// accepted values.
inline XdpMode parse_xdp_mode_or_throw(std::string_view text, std::string_view what) {
  if (auto m = parse_xdp_mode(text)) return *m;
  throw Error(std::string(what) + ": '" + std::string(text) + "' is not an XDP mode",
              "use one of " + std::string(kXdpModeChoices), kExitUsage);
}

}  // namespace copylab

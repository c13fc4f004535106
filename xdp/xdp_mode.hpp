// How an XDP program is attached to a device: the driver's hook (native, iproute2's `xdpdrv`),
// the generic hook after the skb is built (generic, `xdpgeneric`/`skb`), or whatever the kernel
// picks (auto: native when the driver has it). One type for every datapath, the reflector and the
// command line.
#pragma once

namespace copylab {

enum class XdpMode { kNative, kGeneric, kAuto };

// xdp-tools' names: "native", "generic", "auto".
constexpr const char* to_string(XdpMode m) noexcept {
  switch (m) {
    case XdpMode::kNative: return "native";
    case XdpMode::kGeneric: return "generic";
    case XdpMode::kAuto: return "auto";
  }
  return "?";
}

}  // namespace copylab

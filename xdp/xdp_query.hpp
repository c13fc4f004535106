// What XDP program, if any, sits on a device, read back from the kernel (bpf_xdp_query).
#pragma once

#include <linux/if_link.h>

#include <cstdint>
#include <optional>
#include <string>

#include "xdp/xdp_mode.hpp"

namespace copylab {

// How the kernel reports an attachment (XDP_ATTACHED_* of bpf_xdp_query).
enum class XdpAttachMode { kNone, kNative, kGeneric, kOffload, kMulti };
// bpf_xdp_query_opts::attach_mode (XDP_ATTACHED_*, include/uapi/linux/if_link.h) as the enum.
constexpr XdpAttachMode attach_mode_from_kernel(std::uint8_t attached) noexcept {
  switch (attached) {
    case XDP_ATTACHED_DRV: return XdpAttachMode::kNative;
    case XDP_ATTACHED_SKB: return XdpAttachMode::kGeneric;
    case XDP_ATTACHED_HW: return XdpAttachMode::kOffload;
    case XDP_ATTACHED_MULTI: return XdpAttachMode::kMulti;
    default: return XdpAttachMode::kNone;
  }
}
// The XdpMode a report corresponds to (native, generic); nullopt for none, offload and multi.
constexpr std::optional<XdpMode> to_xdp_mode(XdpAttachMode m) noexcept {
  switch (m) {
    case XdpAttachMode::kNative: return XdpMode::kNative;
    case XdpAttachMode::kGeneric: return XdpMode::kGeneric;
    default: return std::nullopt;
  }
}
// "none", "offload", "multi", or to_string of the XdpMode it corresponds to.
constexpr const char* to_string(XdpAttachMode m) noexcept {
  if (const auto mode = to_xdp_mode(m)) return to_string(*mode);
  return m == XdpAttachMode::kOffload ? "offload" : m == XdpAttachMode::kMulti ? "multi" : "none";
}

struct XdpAttachment {
  XdpAttachMode mode = XdpAttachMode::kNone;
  std::uint32_t prog_id = 0;      // the single program (or the driver one in multi mode)
  std::uint32_t drv_prog_id = 0;
  std::uint32_t skb_prog_id = 0;
  std::uint32_t hw_prog_id = 0;
  bool attached() const noexcept { return mode != XdpAttachMode::kNone; }
};

// Throws Error on a failed query (naming the device).
XdpAttachment query_xdp(int ifindex, const std::string& dev);
// "'name' (id N, native)" for messages; "id N" if the name can't be read.
std::string describe_program(std::uint32_t prog_id, XdpAttachMode mode);

// bpf_xdp_attach's mode flag: XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE, 0 for auto (the kernel
// picks native when the driver has it).
std::uint32_t xdp_attach_flags(XdpMode m) noexcept;
// The kernel's id of a loaded program (0 if it cannot be read).
std::uint32_t prog_id_of_fd(int prog_fd) noexcept;
// The id the device runs for a program attached with `flags` (the generic slot for SKB mode, the
// driver slot for native; with auto, whichever the kernel chose).
std::uint32_t attached_prog_id(const XdpAttachment& a, std::uint32_t flags) noexcept;

}  // namespace copylab

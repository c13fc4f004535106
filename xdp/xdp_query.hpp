// What XDP program, if any, sits on a device, read back from the kernel (bpf_xdp_query).
#pragma once

#include <cstdint>
#include <string>

#include "xdp/xdp_mode.hpp"

namespace copylab {

enum class XdpAttachMode { kNone, kNative, kGeneric, kOffload, kMulti };
const char* to_string(XdpAttachMode m) noexcept;  // "none", "native", "generic", ...

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

// What XDP program, if any, sits on a device, read back from the kernel (bpf_xdp_query).
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace copylab

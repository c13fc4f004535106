#include "xdp/xdp_query.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include "common/error.hpp"

namespace copylab {

XdpAttachment query_xdp(int ifindex, const std::string& dev) {
  LIBBPF_OPTS(bpf_xdp_query_opts, opts);
  const int ret = bpf_xdp_query(ifindex, 0, &opts);
  if (ret != 0) throw_errno("bpf_xdp_query", dev, -ret);
  XdpAttachment a;
  a.mode = attach_mode_from_kernel(opts.attach_mode);
  a.prog_id = opts.prog_id;
  a.drv_prog_id = opts.drv_prog_id;
  a.skb_prog_id = opts.skb_prog_id;
  a.hw_prog_id = opts.hw_prog_id;
  if (a.prog_id == 0) a.prog_id = a.drv_prog_id != 0 ? a.drv_prog_id : a.skb_prog_id;
  return a;
}

std::string describe_program(std::uint32_t prog_id, XdpAttachMode mode) {
  std::string name;
  const int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd >= 0) {
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) name = info.name;
    close(fd);
  }
  std::string text = name.empty() ? std::string() : "'" + name + "' ";
  return text + "(id " + std::to_string(prog_id) + ", " + to_string(mode) + ")";
}

std::uint32_t xdp_attach_flags(XdpMode m) noexcept {
  switch (m) {
    case XdpMode::kNative: return XDP_FLAGS_DRV_MODE;
    case XdpMode::kGeneric: return XDP_FLAGS_SKB_MODE;
    case XdpMode::kAuto: break;
  }
  return 0;
}

std::uint32_t prog_id_of_fd(int prog_fd) noexcept {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  return bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0 ? info.id : 0;
}

std::uint32_t attached_prog_id(const XdpAttachment& a, std::uint32_t flags) noexcept {
  if ((flags & XDP_FLAGS_SKB_MODE) != 0) return a.skb_prog_id;
  if ((flags & XDP_FLAGS_DRV_MODE) != 0) return a.drv_prog_id;
  return a.mode == XdpAttachMode::kGeneric ? a.skb_prog_id : a.drv_prog_id;
}

}  // namespace copylab

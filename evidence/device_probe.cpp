#include "evidence/device_probe.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xdp/xsk.h>

#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "common/error.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "xdp/xdp_query.hpp"

namespace copylab::trace {
namespace {

int load_xdp_pass() {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "copylab_probe", "GPL", insns, 2, nullptr);
  return fd < 0 ? -errno : fd;
}

// An XDP attachment made by the probe, detached on scope exit.
class ProbeAttach {
 public:
  ProbeAttach(int ifindex, int prog_fd, __u32 flags) : ifindex_(ifindex), flags_(flags) {
    err_ = bpf_xdp_attach(ifindex, prog_fd, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr) == 0
               ? 0
               : errno;
  }
  ProbeAttach(const ProbeAttach&) = delete;
  ProbeAttach& operator=(const ProbeAttach&) = delete;
  ~ProbeAttach() {
    if (err_ == 0) bpf_xdp_detach(ifindex_, flags_, nullptr);
  }
  int err() const noexcept { return err_; }

 private:
  int ifindex_;
  __u32 flags_;
  int err_;
};

Capability probe_xdp_mode(int ifindex, const std::string& dev, bool native) {
  const std::string id = native ? "xdp_native" : "xdp_generic";
  const std::string label = native ? "XDP native (driver) mode" : "XDP generic (skb) mode";
  const int fd = load_xdp_pass();
  if (fd < 0)
    return {id, label, false, fmt::format("load XDP_PASS program: {}", errno_text(-fd))};
  std::optional<ProbeAttach> attach;
  attach.emplace(ifindex, fd, native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
  ::close(fd);  // the attachment holds the program
  if (attach->err() == EBUSY || attach->err() == EEXIST)
    return {id, label, false,
            fmt::format("{} already has an XDP program: not touched ({})", dev,
                        errno_text(attach->err()))};
  if (attach->err() != 0)
    return {id, label, false,
            fmt::format("bpf_xdp_attach({} {}): {}", dev, native ? "drv" : "skb",
                        errno_text(attach->err()))};
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  std::string mode = "?";
  if (bpf_xdp_query(ifindex, 0, &q) == 0) {
    mode = to_string(attach_mode_from_kernel(q.attach_mode));
  }
  attach.reset();
  return {id, label, true,
          fmt::format("XDP_PASS attached to {}, kernel reports mode {}, detached", dev, mode)};
}

struct XskResult {
  int err = 0;
  __u32 options = 0;
};

// Binds an AF_XDP socket to queue 0 of `dev` with `bind_flags` (no XDP program loaded).
XskResult bind_xsk(const std::string& dev, __u16 bind_flags) {
  constexpr std::size_t kFrames = 64, kFrameSize = XSK_UMEM__DEFAULT_FRAME_SIZE;
  const std::size_t size = kFrames * kFrameSize;
  void* area = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) return {errno, 0};
  xsk_ring_prod fq{}, tx{};
  xsk_ring_cons cq{}, rx{};
  xsk_umem* umem = nullptr;
  XskResult r;
  if (int err = xsk_umem__create(&umem, area, size, &fq, &cq, nullptr); err != 0) {
    r.err = -err;
  } else {
    xsk_socket_config cfg{};
    cfg.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
    cfg.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS;
    cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
    cfg.bind_flags = bind_flags;
    xsk_socket* xsk = nullptr;
    if (int xerr = xsk_socket__create(&xsk, dev.c_str(), 0, umem, &rx, &tx, &cfg); xerr != 0) {
      r.err = -xerr;
    } else {
      xdp_options opts{};
      socklen_t len = sizeof(opts);
      if (::getsockopt(xsk_socket__fd(xsk), SOL_XDP, XDP_OPTIONS, &opts, &len) == 0)
        r.options = opts.flags;
      xsk_socket__delete(xsk);
    }
    xsk_umem__delete(umem);
  }
  ::munmap(area, size);
  return r;
}

// The kernel releases a closed XSK's queue binding asynchronously: a bind right after a close
// can see EBUSY for a moment. Retry briefly (bounded) so the probe reports the real answer.
XskResult bind_xsk_retry(const std::string& dev, __u16 bind_flags) {
  XskResult r;
  for (int attempt = 0; attempt < 100; ++attempt) {
    r = bind_xsk(dev, bind_flags);
    if (r.err != EBUSY) break;
    ::usleep(20'000);
  }
  return r;
}

void probe_xsk(DeviceCapabilities& d) {
  const XskResult copy = bind_xsk_retry(d.device, XDP_COPY);
  d.items.push_back({"xsk_copy", "AF_XDP copy mode (queue 0)", copy.err == 0,
                     copy.err == 0
                         ? fmt::format("bind(XDP_COPY) ok, XDP_OPTIONS={:#x}", copy.options)
                         : fmt::format("bind(XDP_COPY): {}", errno_text(copy.err))});
  const XskResult zc = bind_xsk_retry(d.device, XDP_ZEROCOPY);
  const bool zc_ok = zc.err == 0 && (zc.options & XDP_OPTIONS_ZEROCOPY) != 0;
  d.items.push_back(
      {"xsk_zerocopy", "AF_XDP zero-copy (queue 0)", zc_ok,
       zc.err == 0 ? fmt::format("bind(XDP_ZEROCOPY) ok, XDP_OPTIONS={:#x}", zc.options)
       : zc.err == EOPNOTSUPP
           ? fmt::format("bind(XDP_ZEROCOPY): {}: the driver has no zero-copy support",
                         errno_text(zc.err))
           : fmt::format("bind(XDP_ZEROCOPY): {}", errno_text(zc.err))});
  const XskResult nw = bind_xsk_retry(d.device, XDP_COPY | XDP_USE_NEED_WAKEUP);
  d.items.push_back({"need_wakeup", "AF_XDP need_wakeup", nw.err == 0,
                     nw.err == 0 ? "bind(XDP_COPY|XDP_USE_NEED_WAKEUP) ok"
                                 : fmt::format("bind(XDP_USE_NEED_WAKEUP): {}", errno_text(nw.err))});
}

void probe_in_current_netns(DeviceCapabilities& d) {
  const unsigned ifindex = ::if_nametoindex(d.device.c_str());
  if (ifindex == 0) {
    throw Error(fmt::format("no device {}{}: {}", d.device,
                            d.netns.empty() ? "" : " in netns " + d.netns, errno_text(errno)),
                "give an existing interface with --dev (and --netns if it lives in one)",
                kExitUsage);
  }
  d.items.push_back(probe_xdp_mode(static_cast<int>(ifindex), d.device, true));
  d.items.push_back(probe_xdp_mode(static_cast<int>(ifindex), d.device, false));
  probe_xsk(d);
}

}  // namespace

DeviceCapabilities probe_device(const std::string& device, const std::string& netns) {
  DeviceCapabilities d;
  if (!device.empty()) {
    if (!netns.empty()) require_netns(netns);
    d.device = device;
    d.netns = netns;
    NetnsScope in(netns);
    probe_in_current_netns(d);
    return d;
  }
  Topology topo = Topology::create_unique("doctor");
  d.device = topo.config().dev_b;
  d.netns = topo.config().ns_b;
  d.temporary = true;
  {
    NetnsScope in(d.netns);
    probe_in_current_netns(d);
  }
  topo.destroy();
  return d;
}

}  // namespace copylab::trace

#include "xdp/steer_program.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <spdlog/spdlog.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <type_traits>
#include <vector>

#include "common/bpf_prog_owner.hpp"
#include "common/error.hpp"
#include "steer.skel.h"
#include "xdp/bpffs_mount.hpp"
#include "xdp/device.hpp"

namespace copylab {
namespace {

xdp_attach_mode libxdp_mode(XdpMode m) {
  return m == XdpMode::kGeneric ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

// The steering program names a mode (auto is resolved before attaching): native unless generic.
__u32 libbpf_flags(XdpMode m) { return xdp_attach_flags(m == XdpMode::kGeneric ? m : XdpMode::kNative); }

}  // namespace

SteerProgram::SteerProgram(const SteerOptions& opts) : opts_(opts) {
  if (opts_.ifindex == 0) opts_.ifindex = ifindex_of(opts_.dev);
  refuse_or_replace_existing();

  open_skeleton();

  std::vector<XdpMode> modes;
  if (opts_.mode == XdpMode::kAuto) {
    modes = {XdpMode::kNative, XdpMode::kGeneric};
  } else {
    modes = {opts_.mode};
  }
  // In the run's record before it is attached; the program id follows once the kernel has it.
  const NetnsRef ns = current_netns_ref();
  nlohmann::json record{{"kind", "xdp"},          {"netns", ns.name}, {"netns_inode", ns.inode},
                        {"ifindex", opts_.ifindex}, {"dev", opts_.dev},  {"prog_id", 0}};
  record_ = record_owned(record);
  int err = 0;
  std::string libxdp_failure;
  try {
    bpffs_ = BpffsMount::acquire();
  } catch (const Error& e) {
    libxdp_failure = e.what();
  }
  bool ok = false;
  for (XdpMode m : modes) {
    if (bpffs_ && attach_libxdp(m, err)) {
      ok = true;
      attached_with_ = m;
      break;
    }
    if (bpffs_) libxdp_failure = "libxdp attach: " + errno_text(err);
    // libxdp refused (or has no bpffs): one program through plain libbpf is what it would
    // have fallen back to anyway.
    if (attach_libbpf(m, err)) {
      ok = true;
      attached_with_ = m;
      break;
    }
    spdlog::debug("XDP {} attach on {} failed: {}", to_string(m), opts_.dev, errno_text(err));
  }
  if (!ok) {
    const std::string what_mode = opts_.mode == XdpMode::kAuto ? "native or generic" : to_string(opts_.mode);
    steer__destroy(skel_);
    skel_ = nullptr;
    const bool tried_native = opts_.mode != XdpMode::kGeneric;
    if (err == ERANGE && tried_native) {
      // drivers/net/veth.c veth_xdp_set(): "Peer MTU is too large to set XDP" (-ERANGE) when the
      // peer's MTU exceeds one page minus XDP headroom and skb_shared_info (~3500 bytes on 4 KiB
      // pages), since native XDP on veth needs every frame in a single page.
      const DeviceInfo info = query_device(opts_.dev);
      if (info.driver == "veth") {
        throw Error("native XDP refused on veth " + opts_.dev + " (" + errno_text(err) +
                        "): its peer's MTU is too large for native XDP on veth (at most one 4 KiB "
                        "page minus headroom, about 3500 bytes; " + opts_.dev + "'s own MTU is " +
                        std::to_string(info.mtu) + ")",
                    "lower the peer's MTU (ip link set dev <peer> mtu 1500, in its namespace), or "
                    "use generic XDP (--mode generic; copylab compare: --xdp-mode generic)");
      }
    }
    throw_errno("attach the XDP steering program (" + what_mode + ")", opts_.dev, err,
                err == EPERM ? "run as root (CAP_NET_ADMIN + CAP_BPF)"
                : opts_.mode == XdpMode::kNative
                    ? "the driver may lack native XDP: try --mode generic"
                    : "check dmesg and the device's MTU (XDP needs MTU <= page size minus headroom)");
  }

  // Read back what the kernel actually has on the device.
  const int fd = bpf_program__fd(skel_->progs.copylab_steer);
  const std::uint32_t ours = prog_id_of_fd(fd);
  XdpAttachment now;
  try {
    now = query_xdp(opts_.ifindex, opts_.dev);
  } catch (...) {
    detach();
    throw;
  }
  attached_ = now.mode;
  prog_id_ = ours;
  record["prog_id"] = now.prog_id;  // what sits on the device (a libxdp dispatcher, or ours)
  record_.update(record);
  if (now.prog_id == ours) {
    dispatcher_ = xdp_prog_ != nullptr
                      ? "single program: libxdp multiprog dispatcher refused by this kernel"
                      : "single program via libbpf (" + libxdp_failure + ")";
  } else {
    dispatcher_ = "libxdp multiprog dispatcher " + describe_program(now.prog_id, now.mode);
  }
  spdlog::info("XDP steering program on {} for UDP port {}: {} mode, {}", opts_.dev,
               opts_.dst_port, to_string(attached_), dispatcher_);
}

void SteerProgram::check_device_free(const SteerOptions& opts) {
  const int ifindex = opts.ifindex != 0 ? opts.ifindex : ifindex_of(opts.dev);
  const XdpAttachment existing = query_xdp(ifindex, opts.dev);
  if (!existing.attached() || opts.force_replace) return;
  claim_xdp_device(ifindex, opts.dev, existing.prog_id,
                   "detach it (ip link set dev " + opts.dev + " xdp off, or xdp-loader unload " +
                       opts.dev + " --all)" +
                       (opts.offer_force_replace
                            ? ", or pass --force-replace to replace it for this run"
                            : ", or use other devices"));
}

void SteerProgram::refuse_or_replace_existing() {
  check_device_free(opts_);
  const XdpAttachment existing = query_xdp(opts_.ifindex, opts_.dev);
  if (!existing.attached()) return;
  const std::string who = describe_program(existing.prog_id, existing.mode);
  const __u32 flags = existing.mode == XdpAttachMode::kGeneric   ? XDP_FLAGS_SKB_MODE
                      : existing.mode == XdpAttachMode::kOffload ? XDP_FLAGS_HW_MODE
                                                                 : XDP_FLAGS_DRV_MODE;
  const int ret = bpf_xdp_detach(opts_.ifindex, flags, nullptr);
  if (ret != 0) throw_errno("detach the existing XDP program " + who, opts_.dev, -ret);
  spdlog::warn("--force-replace: detached XDP program {} from {}; it is not restored afterwards",
               who, opts_.dev);
}

bool SteerProgram::attach_libxdp(XdpMode mode, int& err) {
  if (xdp_prog_ == nullptr) {
    xdp_prog_ = xdp_program__from_bpf_obj(skel_->obj, nullptr);
    const long perr = libxdp_get_error(xdp_prog_);
    if (perr != 0) {
      xdp_prog_ = nullptr;
      err = static_cast<int>(-perr);
      return false;
    }
  }
  const int ret = xdp_program__attach(xdp_prog_, opts_.ifindex, libxdp_mode(mode), 0);
  if (ret == 0) return true;
  err = -ret;
  // Keep the handle only if the object got loaded: libbpf then reuses its fd.
  xdp_program__close(xdp_prog_);
  xdp_prog_ = nullptr;
  // A load libxdp attempted and the kernel refused leaves the object unloadable (libbpf's
  // bpf_object_load: "load can't be attempted twice"), so the libbpf fallback gets a fresh one.
  // Seen when the kernel refuses libxdp's dispatcher slot for a program that changes packet data
  // (kernel/bpf/verifier.c: "Extension program changes packet data, while original does not").
  if (bpf_program__fd(skel_->progs.copylab_steer) < 0) {
    steer__destroy(skel_);
    skel_ = nullptr;
    open_skeleton();
  }
  return false;
}

void SteerProgram::open_skeleton() {
  skel_ = steer__open();
  if (skel_ == nullptr) throw_errno("open the steering program (steer__open)", opts_.dev, errno);
  skel_->rodata->dst_port = opts_.dst_port;
}

bool SteerProgram::attach_libbpf(XdpMode mode, int& err) {
  int fd = bpf_program__fd(skel_->progs.copylab_steer);
  if (fd < 0) {
    const int ret = steer__load(skel_);
    if (ret != 0) {
      err = -ret;
      return false;
    }
    fd = bpf_program__fd(skel_->progs.copylab_steer);
  }
  const int ret = bpf_xdp_attach(opts_.ifindex, fd, XDP_FLAGS_UPDATE_IF_NOEXIST | libbpf_flags(mode),
                                 nullptr);
  if (ret != 0) {
    err = -ret;
    return false;
  }
  return true;
}

void SteerProgram::detach() noexcept {
  int ret = 0;
  const bool ran = netns_.run([&] {
    if (xdp_prog_ != nullptr) {
      ret = xdp_program__detach(xdp_prog_, opts_.ifindex, libxdp_mode(attached_with_), 0);
    } else {
      LIBBPF_OPTS(bpf_xdp_attach_opts, o);
      o.old_prog_fd = bpf_program__fd(skel_->progs.copylab_steer);
      ret = bpf_xdp_detach(opts_.ifindex, libbpf_flags(attached_with_), &o);
    }
  });
  if (!ran || ret != 0) {
    record_.leave();  // still attached: the next run reclaims it by id
    spdlog::warn("couldn't detach the XDP steering program from {}: {}; remove it with: ip link "
                 "set dev {} xdp off",
                 opts_.dev, ran ? errno_text(-ret) : "can't enter its network namespace",
                 opts_.dev);
  }
}

SteerProgram::~SteerProgram() {
  detach();
  if (xdp_prog_ != nullptr) xdp_program__close(xdp_prog_);
  if (skel_ != nullptr) steer__destroy(skel_);
}

void SteerProgram::set_rx_stamping(bool on) {
  // Through the map fd, not skel_->bss: when libxdp loaded the object, the skeleton's .bss
  // pointer was never remapped onto the kernel's map and writes to it would go nowhere.
  const int fd = bpf_map__fd(skel_->maps.bss);
  const __u32 key = 0;
  using Bss = std::remove_pointer_t<decltype(steer::bss)>;  // the skeleton's .bss layout
  Bss value{};
  if (bpf_map_lookup_elem(fd, &key, &value) != 0) {
    throw_errno("read the steering program's .bss (bpf_map_lookup_elem)", opts_.dev, errno);
  }
  value.stamp_rx = on ? 1U : 0U;
  if (bpf_map_update_elem(fd, &key, &value, BPF_ANY) != 0) {
    throw_errno("switch RX timestamps in the steering program (bpf_map_update_elem)", opts_.dev,
                errno);
  }
  Bss back{};
  if (bpf_map_lookup_elem(fd, &key, &back) != 0 || back.stamp_rx != value.stamp_rx) {
    throw Error("the steering program on " + opts_.dev + " did not keep its RX timestamp switch",
                "report this: the .bss map read back differs from what was written");
  }
  rx_stamping_ = on;
}

int SteerProgram::xsks_map_fd() const { return bpf_map__fd(skel_->maps.xsks_map); }

SteerCounters SteerProgram::counters() const {
  SteerCounters total{};
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return total;
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
  const int fd = bpf_map__fd(skel_->maps.counters);
  for (__u32 key = 0; key < STEER_COUNTER_MAX; ++key) {
    if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) continue;
    for (std::uint64_t v : per_cpu) total[key] += v;
  }
  return total;
}

nlohmann::json SteerProgram::counters_json() const {
  const SteerCounters c = counters();
  return {{"redirected", c[STEER_REDIRECTED]},
          {"passed_no_xsk", c[STEER_NO_XSK]},
          {"passed_other_port", c[STEER_OTHER_PORT]},
          {"passed_not_udp", c[STEER_NOT_UDP]},
          {"passed_truncated", c[STEER_TRUNCATED]},
          {"rx_stamping", rx_stamping_},
          {"meta_stamped", c[STEER_META_STAMPED]},
          {"meta_refused", c[STEER_META_REFUSED]}};
}

}  // namespace copylab

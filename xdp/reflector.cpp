#include "xdp/reflector.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>
#include <vector>

#include "common/bpf_prog_owner.hpp"
#include "common/error.hpp"
#include "xdp/reflect_abi.h"
#include "xdp/xdp_query.hpp"
#include "latency_reflect.skel.h"
#include "xdp/xdp_query.hpp"

namespace copylab {

XdpReflector::XdpReflector(std::string dev, XdpMode mode, Role role,
                           std::uint16_t udp_port)
    : dev_(std::move(dev)), mode_(mode), role_(role) {
  if (mode_ == XdpMode::kAuto)
    throw Error("XdpReflector on " + dev_ + ": needs native or generic, not auto",
                "pick the attach mode explicitly");
  ifindex_ = if_nametoindex(dev_.c_str());
  if (ifindex_ == 0) {
    throw_errno("if_nametoindex", dev_, errno,
                "check the device name (--dev) and that it lives in the namespace given (--netns)");
  }
  skel_ = latency_reflect__open();
  if (!skel_) throw_errno("open BPF skeleton", "latency_reflect", errno);
  skel_->rodata->reflect_port = udp_port;
  if (int err = latency_reflect__load(skel_); err != 0) {
    latency_reflect__destroy(skel_);
    throw_errno("load BPF program", "reflect.bpf.c", -err,
                "run as root; `copylab doctor` shows what this kernel allows");
  }
  bpf_program* prog = role_ == Role::kReflect ? skel_->progs.xdp_reflect
                                              : skel_->progs.xdp_pass_through;
  prog_fd_ = bpf_program__fd(prog);
  flags_ = xdp_attach_flags(mode_);
  const int ifindex = static_cast<int>(ifindex_);
  const std::string foreign_fix =
      "remove it (ip link set dev " + dev_ + " xdp off) or use other devices";
  try {
    if (const XdpAttachment existing = query_xdp(ifindex, dev_); existing.attached())
      claim_xdp_device(ifindex, dev_, existing.prog_id, foreign_fix);
  } catch (...) {
    latency_reflect__destroy(skel_);
    throw;
  }
  // In the run's record before it is attached; the program id follows once the kernel has it.
  const NetnsRef ns = current_netns_ref();
  nlohmann::json record{{"kind", "xdp"},     {"netns", ns.name}, {"netns_inode", ns.inode},
                        {"ifindex", ifindex}, {"dev", dev_},      {"prog_id", 0}};
  record_ = record_owned(record);
  if (int err = bpf_xdp_attach(static_cast<int>(ifindex_), prog_fd_,
                               XDP_FLAGS_UPDATE_IF_NOEXIST | flags_, nullptr);
      err != 0) {
    latency_reflect__destroy(skel_);
    const int e = -err;
    std::string what = std::string("attach ") + to_string(mode_) + " XDP (" +
                       (role_ == Role::kReflect ? "XDP_TX reflector" : "peer pass-through") + ")";
    if (e == EBUSY || e == EEXIST) {
      throw_errno(what, dev_, e,
                  "another XDP program is attached to " + dev_ + "; copylab does not replace it: " +
                      foreign_fix);
    }
    throw_errno(what, dev_, e,
                "this device/kernel refuses that XDP mode; `copylab doctor` lists what works");
  }
  record["prog_id"] = prog_id_of_fd(prog_fd_);
  record_.update(record);
}

XdpReflector::~XdpReflector() {
  if (!skel_) return;
  // Detach only our own program (XDP_FLAGS_REPLACE with old_prog_fd): never someone else's.
  bpf_xdp_attach_opts opts{};
  opts.sz = sizeof(opts);
  opts.old_prog_fd = prog_fd_;
  const int ret = bpf_xdp_detach(static_cast<int>(ifindex_), XDP_FLAGS_REPLACE | flags_, &opts);
  // Still attached (not gone, not replaced by someone else): the next run reclaims it by id.
  if (ret != 0 && ret != -EEXIST && ret != -ENODEV) record_.leave();
  latency_reflect__destroy(skel_);
}

nlohmann::json XdpReflector::mode() const {
  nlohmann::json j{{"device", dev_},
                   {"program", role_ == Role::kReflect ? "xdp_reflect" : "xdp_pass_through"},
                   {"requested_mode", to_string(mode_)}};
  XdpAttachment now;
  try {
    now = query_xdp(static_cast<int>(ifindex_), dev_);
  } catch (const Error& e) {
    j["attach_mode"] = std::string("unknown (") + e.what() + ")";
    return j;
  }
  const std::uint32_t ours = prog_id_of_fd(prog_fd_);
  const std::uint32_t attached = attached_prog_id(now, flags_);
  j["attach_mode"] = to_string(now.mode);
  j["prog_id"] = attached;
  j["is_ours"] = ours != 0 && ours == attached;
  return j;
}

nlohmann::json XdpReflector::counters() const {
  const int ncpu = libbpf_num_possible_cpus();
  nlohmann::json j;
  const char* names[REFLECT_COUNTER_MAX] = {"reflected", "passed", "peer_passed"};
  for (std::uint32_t slot = 0; slot < REFLECT_COUNTER_MAX; ++slot) {
    std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu > 0 ? ncpu : 1), 0);
    std::uint64_t sum = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.reflect_counters), &slot, per_cpu.data()) ==
        0) {
      for (auto v : per_cpu) sum += v;
    }
    j[names[slot]] = sum;
  }
  return j;
}

}  // namespace copylab

#include "common/bpf_prog_owner.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "common/error.hpp"
#include "common/run_registry.hpp"

namespace copylab {
namespace {

bool fd_holds_prog(const std::string& fdinfo, std::uint32_t prog_id) {
  std::ifstream in(fdinfo);
  const std::string want = "prog_id:";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(want, 0) == 0) return std::strtoul(line.c_str() + want.size(), nullptr, 10) == prog_id;
  }
  return false;
}

bool pid_holds_prog(const std::string& pid_dir, std::uint32_t prog_id) {
  DIR* fds = ::opendir((pid_dir + "/fd").c_str());
  if (fds == nullptr) return false;
  bool found = false;
  char target[64];
  while (const dirent* e = ::readdir(fds)) {
    if (e->d_name[0] == '.') continue;
    const std::string link = pid_dir + "/fd/" + e->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    const std::string t = target;
    if (t != "anon_inode:bpf-prog" && t != "anon_inode:bpf_link") continue;
    if (fd_holds_prog(pid_dir + "/fdinfo/" + e->d_name, prog_id)) {
      found = true;
      break;
    }
  }
  ::closedir(fds);
  return found;
}

}  // namespace

std::string bpf_prog_name(std::uint32_t prog_id) {
  const int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return {};
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  std::string name;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) name = info.name;
  ::close(fd);
  return name;
}

bool is_copylab_xdp_name(const std::string& name) {
  // BPF_OBJ_NAME_LEN is 16: "xdp_pass_through" is kept as "xdp_pass_throug".
  return name == "copylab_steer" || name == "xdp_reflect" || name == "xdp_pass_throug" ||
         name == "xdp_pass_through";
}

std::vector<ProgHolder> bpf_prog_holders(std::uint32_t prog_id) {
  std::vector<ProgHolder> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  const pid_t self = ::getpid();
  while (const dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self) continue;
    if (pid_holds_prog(std::string("/proc/") + e->d_name, prog_id)) {
      out.push_back({static_cast<pid_t>(pid), process_command_line(static_cast<pid_t>(pid))});
    }
  }
  ::closedir(proc);
  return out;
}

int detach_xdp_prog(int ifindex, std::uint32_t prog_id) {
  bpf_xdp_query_opts q{};
  q.sz = sizeof(q);
  if (bpf_xdp_query(ifindex, 0, &q) != 0) return errno != 0 ? errno : ENODEV;
  const int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return 0;  // the program is gone already
  struct Slot {
    __u32 id;
    __u32 flag;
  };
  int result = 0;
  for (const Slot s : {Slot{q.prog_id, 0U}, Slot{q.drv_prog_id, static_cast<__u32>(XDP_FLAGS_DRV_MODE)},
                       Slot{q.skb_prog_id, static_cast<__u32>(XDP_FLAGS_SKB_MODE)},
                       Slot{q.hw_prog_id, static_cast<__u32>(XDP_FLAGS_HW_MODE)}}) {
    if (s.id != prog_id) continue;
    __u32 flag = s.flag;
    if (flag == 0) {
      flag = q.attach_mode == XDP_ATTACHED_SKB  ? XDP_FLAGS_SKB_MODE
             : q.attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
                                                : XDP_FLAGS_DRV_MODE;
    }
    bpf_xdp_attach_opts o{};  // what LIBBPF_OPTS does, without its GNU statement expression
    o.sz = sizeof(o);
    o.old_prog_fd = fd;
    const int ret = bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE | flag, &o);
    if (ret != 0 && ret != -EEXIST) result = -ret;  // EEXIST: replaced meanwhile, not ours now
    break;
  }
  ::close(fd);
  return result;
}

void claim_xdp_device(int ifindex, const std::string& dev, std::uint32_t prog_id,
                      const std::string& foreign_fix) {
  const std::string name = bpf_prog_name(prog_id);
  const std::string who = "XDP program '" + name + "' (id " + std::to_string(prog_id) + ")";
  if (!is_copylab_xdp_name(name)) {
    throw Error(who + " is already attached to " + dev +
                    "; copylab does not replace someone else's program",
                foreign_fix);
  }
  // This very process holds it (it attached it itself): nothing stale, and the attach that
  // follows is refused by the kernel (EBUSY) as any second attach is.
  if (pid_holds_prog("/proc/self", prog_id)) return;
  const std::vector<ProgHolder> holders = bpf_prog_holders(prog_id);
  if (!holders.empty()) {
    throw Error(who + " on " + dev + " is in use by copylab run " +
                    std::to_string(holders.front().pid) + " (" + holders.front().cmd + ")",
                "wait for that run to end or stop it (kill " + std::to_string(holders.front().pid) +
                    "), or use other devices");
  }
  // No process holds it: the run that attached it was killed before it could detach.
  if (const int err = detach_xdp_prog(ifindex, prog_id); err != 0) {
    throw_errno("detach the stale copylab " + who, dev, err,
                "remove it by hand: ip link set dev " + dev + " xdp off");
  }
  spdlog::info("reclaimed a stale copylab {} on {}: no copylab run holds it any more", who, dev);
}

}  // namespace copylab

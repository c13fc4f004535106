#include "evidence/capabilities.hpp"

#include "netns/netns_scope.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.hpp"
#include "evidence/device_probe.hpp"
#include "evidence/perf_sampler.hpp"
#include "evidence/tracefs.hpp"

namespace copylab::trace {
namespace {

// A file descriptor closed on scope exit (probe objects: programs, links, sockets).
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// `r0 = ret; exit`: the smallest valid program of any type.
int load_trivial(bpf_prog_type type, int ret, const bpf_prog_load_opts* opts) {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, ret},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(type, "copylab_probe", "GPL", insns, 2, opts);
  return fd < 0 ? -errno : fd;
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool mounted_type(const std::string& type, std::string* where) {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string dev, dir, t;
    if (ls >> dev >> dir >> t && t == type) {
      if (where) *where = dir;
      return true;
    }
  }
  return false;
}

Capability probe_bpf_load() {
  Fd fd(load_trivial(BPF_PROG_TYPE_SOCKET_FILTER, 0, nullptr));
  if (fd.get() < 0)
    return {"bpf", "BPF program load", false,
            fmt::format("BPF_PROG_LOAD(socket_filter): {}", errno_text(-fd.get()))};
  return {"bpf", "BPF program load", true, "BPF_PROG_LOAD(socket_filter) ok"};
}

Capability probe_jit() {
  const std::string knob = read_first_line("/proc/sys/net/core/bpf_jit_enable");
  Fd fd(load_trivial(BPF_PROG_TYPE_SOCKET_FILTER, 0, nullptr));
  if (fd.get() < 0) return {"jit", "BPF JIT", false, "no program could be loaded to check"};
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0)
    return {"jit", "BPF JIT", false, fmt::format("bpf_prog_get_info: {}", errno_text(errno))};
  const bool jited = info.jited_prog_len > 0;
  return {"jit", "BPF JIT", jited,
          fmt::format("jited_prog_len={} (bpf_jit_enable={})", info.jited_prog_len,
                      knob.empty() ? "?" : knob)};
}

Capability probe_btf() {
  btf* b = btf__load_vmlinux_btf();
  if (!b)
    return {"btf", "kernel BTF (CO-RE)", false,
            fmt::format("/sys/kernel/btf/vmlinux: {}", errno_text(errno))};
  const auto n = btf__type_cnt(b);
  btf__free(b);
  return {"btf", "kernel BTF (CO-RE)", true, fmt::format("/sys/kernel/btf/vmlinux: {} types", n)};
}

Capability probe_tp_btf() {
  const int btf_id = libbpf_find_vmlinux_btf_id("net_dev_queue", BPF_TRACE_RAW_TP);
  if (btf_id < 0)
    return {"tp_btf", "tp_btf (typed tracepoints)", false, "btf_trace_net_dev_queue not in BTF"};
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP,
              .attach_btf_id = static_cast<__u32>(btf_id));
  Fd fd(load_trivial(BPF_PROG_TYPE_TRACING, 0, &opts));
  if (fd.get() < 0)
    return {"tp_btf", "tp_btf (typed tracepoints)", false,
            fmt::format("load tp_btf/net_dev_queue: {}", errno_text(-fd.get()))};
  Fd link(bpf_raw_tracepoint_open(nullptr, fd.get()));
  if (link.get() < 0)
    return {"tp_btf", "tp_btf (typed tracepoints)", false,
            fmt::format("attach tp_btf/net_dev_queue: {}", errno_text(errno))};
  return {"tp_btf", "tp_btf (typed tracepoints)", true, "tp_btf/net_dev_queue loaded and attached"};
}

Capability probe_raw_tp() {
  Fd fd(load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, nullptr));
  if (fd.get() < 0)
    return {"raw_tp", "raw tracepoints", false,
            fmt::format("load raw_tp: {}", errno_text(-fd.get()))};
  Fd link(bpf_raw_tracepoint_open("net_dev_queue", fd.get()));
  if (link.get() < 0)
    return {"raw_tp", "raw tracepoints", false,
            fmt::format("attach raw_tp/net_dev_queue: {}", errno_text(errno))};
  return {"raw_tp", "raw tracepoints", true, "raw_tp/net_dev_queue loaded and attached"};
}

// Runs `fn` in a forked child inside a private mount namespace (mounts made there vanish with
// it) and returns what it wrote to the pipe, or "" if it failed.
template <typename Fn>
std::string in_private_mount_ns(Fn fn) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    const std::string out = fn();
    const ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 12);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n = 0;
  // A stop signal (installed without SA_RESTART) may interrupt us: retry, the child is quick.
  while (pid > 0 && ((n = ::read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return out;
}

Capability probe_lockdown() {
  std::string line = read_first_line("/sys/kernel/security/lockdown");
  std::string where = "/sys/kernel/security/lockdown";
  if (line.empty() && !mounted_type("securityfs", nullptr)) {
    // securityfs is not mounted: read the file from a private mount of it.
    line = in_private_mount_ns([] {
      if (::mount("securityfs", "/sys/kernel/security", "securityfs", 0, nullptr) != 0)
        return std::string();
      return read_first_line("/sys/kernel/security/lockdown");
    });
    where = "securityfs mounted privately";
  }
  if (line.empty())
    return {"lockdown", "kernel lockdown", true, "no lockdown LSM (no lockdown file)"};
  const auto l = line.find('['), r = line.find(']');
  const std::string mode =
      l != std::string::npos && r != std::string::npos ? line.substr(l + 1, r - l - 1) : line;
  // "integrity" still allows bpf_probe_read_kernel and tracefs; "confidentiality" does not.
  return {"lockdown", "kernel lockdown", mode != "confidentiality",
          fmt::format("mode {} ('{}', {})", mode, line, where)};
}

Capability probe_modules() {
  if (!file_exists("/proc/modules"))
    return {"modules", "loadable kernel modules", false, "no /proc/modules: CONFIG_MODULES not set"};
  const std::string disabled = read_first_line("/proc/sys/kernel/modules_disabled");
  if (disabled == "1")
    return {"modules", "loadable kernel modules", false, "kernel.modules_disabled=1"};
  return {"modules", "loadable kernel modules", true, "/proc/modules present"};
}

Capability probe_tracefs() {
  std::string where;
  if (mounted_type("tracefs", &where))
    return {"tracefs", "tracefs", true, "mounted at " + where};
  // Mountable? Try in a private mount namespace of a child, so nothing stays mounted.
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    ::_exit(::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0 ? 0 : 12);
  }
  int status = 0;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return {"tracefs", "tracefs", ok,
          ok ? "not mounted, but mountable (copylab mounts it when needed and unmounts it after)"
             : "not mounted and not mountable"};
}

Capability probe_bpffs() {
  std::string where;
  if (mounted_type("bpf", &where)) return {"bpffs", "bpffs mounted", true, "mounted at " + where};
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
    ::_exit(::mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) == 0 ? 0 : 12);
  }
  int status = 0;
  while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return {"bpffs", "bpffs mounted", false,
          ok ? "not mounted; mountable (libxdp honours LIBXDP_BPFFS=<dir>)"
             : "not mounted and not mountable"};
}

Capability probe_perf() {
  const int fd = open_cpu_clock_event(0, 4999);
  if (fd < 0)
    return {"perf_cpu_clock", "perf cpu-clock sampling", false,
            fmt::format("perf_event_open(cpu-clock, cpu 0): {}", errno_text(-fd))};
  ::close(fd);
  return {"perf_cpu_clock", "perf cpu-clock sampling", true,
          "perf_event_open(cpu-clock, 4999 Hz, all tasks, cpu 0) ok"};
}

Capability probe_af_xdp_socket() {
  Fd fd(::socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (fd.get() < 0)
    return {"af_xdp", "AF_XDP sockets", false, fmt::format("socket(AF_XDP): {}", errno_text(errno))};
  return {"af_xdp", "AF_XDP sockets", true, "socket(AF_XDP) ok"};
}

Capability probe_busy_poll() {
  const std::string poll = read_first_line("/proc/sys/net/core/busy_poll");
  const std::string read = read_first_line("/proc/sys/net/core/busy_read");
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  int usecs = 50;
  const bool sockopt =
      fd.get() >= 0 && ::setsockopt(fd.get(), SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) == 0;
  const int err = errno;
  return {"busy_poll", "socket busy polling", sockopt && !poll.empty(),
          fmt::format("net.core.busy_poll={} busy_read={}; setsockopt(SO_BUSY_POLL, 50us): {}",
                      poll.empty() ? "?" : poll, read.empty() ? "?" : read,
                      sockopt ? "ok" : errno_text(err))};
}

}  // namespace

Capability probe_fentry() {
  const int btf_id = libbpf_find_vmlinux_btf_id("_copy_from_iter", BPF_TRACE_FENTRY);
  if (btf_id < 0)
    return {"fentry", "fentry/fexit BPF", false, "_copy_from_iter not in kernel BTF"};
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = static_cast<__u32>(btf_id));
  Fd fd(load_trivial(BPF_PROG_TYPE_TRACING, 0, &opts));
  if (fd.get() < 0)
    return {"fentry", "fentry/fexit BPF", false,
            fmt::format("BPF_PROG_LOAD(fentry/_copy_from_iter): {}", errno_text(-fd.get()))};
  Fd link(bpf_raw_tracepoint_open(nullptr, fd.get()));
  if (link.get() < 0)
    return {"fentry", "fentry/fexit BPF", false,
            fmt::format("attach fentry/_copy_from_iter: {}", errno_text(errno))};
  return {"fentry", "fentry/fexit BPF", true, "fentry/_copy_from_iter loaded and attached"};
}

namespace {

// perf_event_open of a kprobe PMU event on `func`: 0 or the errno.
int open_perf_kprobe(__u32 pmu_type, const char* func) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = pmu_type;
  attr.config1 = reinterpret_cast<__u64>(func);  // kprobe_func
  const long fd = ::syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return errno;
  ::close(static_cast<int>(fd));
  return 0;
}

}  // namespace

Capability probe_kprobes() {
  const std::string type = read_first_line("/sys/bus/event_source/devices/kprobe/type");
  const std::string tracefs = find_tracefs_mount();
  const bool events = !tracefs.empty() && file_exists(tracefs + "/kprobe_events");
  if (type.empty()) {
    return {"kprobes", "kprobes", false,
            fmt::format("no kprobe PMU (/sys/bus/event_source/devices/kprobe){}",
                        tracefs.empty() ? ": CONFIG_KPROBES not set"
                        : events        ? ", but tracefs has kprobe_events"
                                        : " and no kprobe_events in tracefs: CONFIG_KPROBES not set")};
  }
  const auto pmu = static_cast<__u32>(std::stoul(type));
  // Probe on ordinary, always-traceable functions: EINVAL/ENOENT on one symbol means that symbol
  // cannot be probed (notrace, inlined, blacklisted), not that kprobes are missing. The copy
  // routine itself is probed too, for the evidence (it is notrace on some kernels, e.g. 6.1).
  std::string refused;
  for (const char* func : {"udp_sendmsg", "__sys_sendto", "ip_finish_output2"}) {
    const int err = open_perf_kprobe(pmu, func);
    if (err == 0) {
      const int copy_err = open_perf_kprobe(pmu, "_copy_from_iter");
      return {"kprobes", "kprobes", true,
              fmt::format("kprobe on {} opened (kprobe PMU); _copy_from_iter: {}", func,
                          copy_err == 0 ? "probe-able"
                                        : errno_text(copy_err) + " (not probe-able on this kernel)")};
    }
    if (err != EINVAL && err != ENOENT)  // EPERM, EACCES, EOPNOTSUPP...: kprobes refused as such
      return {"kprobes", "kprobes", false,
              fmt::format("perf_event_open(kprobe {}): {}", func, errno_text(err))};
    refused += fmt::format("{}{}: {}", refused.empty() ? "" : ", ", func, errno_text(err));
  }
  return {"kprobes", "kprobes", false,
          fmt::format("kprobe PMU present, but no probe could be placed ({})", refused)};
}

std::string hist_stack_key_for_kernel() {
  utsname u{};
  int major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &major, &minor) != 2)
    return "common_stacktrace";
  return major > 6 || (major == 6 && minor >= 5) ? "common_stacktrace" : "stacktrace";
}

namespace {

Capability probe_hist_triggers_at(const std::string& tracefs, std::string* stack_key) {
  try {
    TracefsInstance inst(tracefs);
    const std::string file = inst.event_file("sched", "sched_process_exit", "trigger");
    {
      TracefsTrigger t(file, "hist:keys=common_pid");
      if (!t.active())
        return {"hist_triggers", "tracefs hist triggers", false,
                fmt::format("'hist:keys=common_pid' in a private instance: {}",
                            errno_text(t.err()))};
    }
    // Kernels >= 6.5 call the stack key common_stacktrace, older ones stacktrace: the
    // version's name first, the other one too in case of a backport.
    const std::string likely = hist_stack_key_for_kernel();
    const std::string other = likely == "stacktrace" ? "common_stacktrace" : "stacktrace";
    for (const std::string& key : {likely, other}) {
      TracefsTrigger t(file, "hist:keys=" + key);
      if (t.active()) {
        if (stack_key) *stack_key = key;
        return {"hist_triggers", "tracefs hist triggers", true,
                fmt::format("hist:keys={} accepted in a private instance (removed)", key)};
      }
    }
    return {"hist_triggers", "tracefs hist triggers", true,
            "hist triggers work, but no stack key was accepted"};
  } catch (const Error& e) {
    return {"hist_triggers", "tracefs hist triggers", false, e.what()};
  }
}

}  // namespace

Capability probe_hist_triggers(std::string* stack_key) {
  const std::string tracefs = find_tracefs_mount();
  if (!tracefs.empty()) return probe_hist_triggers_at(tracefs, stack_key);
  // Not mounted: probe on a private tracefs mount in a child, so nothing stays mounted.
  const std::string out = in_private_mount_ns([] {
    if (::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0) return std::string();
    std::string key;
    const Capability c = probe_hist_triggers_at("/sys/kernel/tracing", &key);
    return std::string(c.ok ? "1" : "0") + key + "\n" + c.evidence;
  });
  if (out.empty())
    return {"hist_triggers", "tracefs hist triggers", false, "tracefs could not be mounted"};
  const auto nl = out.find('\n');
  if (stack_key && out[0] == '1') *stack_key = out.substr(1, nl - 1);
  return {"hist_triggers", "tracefs hist triggers", out[0] == '1',
          out.substr(nl + 1) + " (on a private tracefs mount)"};
}

const Capability* DeviceCapabilities::find(const std::string& id) const {
  for (const Capability& c : items)
    if (c.id == id) return &c;
  return nullptr;
}

const Capability* Capabilities::find(const std::string& id) const {
  for (const Capability& c : items)
    if (c.id == id) return &c;
  return nullptr;
}

bool Capabilities::has(const std::string& id) const {
  const Capability* c = find(id);
  return c && c->ok;
}

Capabilities probe_capabilities(const ProbeOptions& opts) {
  Capabilities caps;
  caps.items.push_back(probe_bpf_load());
  caps.items.push_back(probe_jit());
  caps.items.push_back(probe_btf());
  caps.items.push_back(probe_tp_btf());
  caps.items.push_back(probe_raw_tp());
  caps.items.push_back(probe_fentry());
  caps.items.push_back(probe_kprobes());
  caps.items.push_back(probe_modules());
  caps.items.push_back(probe_tracefs());
  caps.items.push_back(probe_hist_triggers(&caps.hist_stack_key));
  caps.items.push_back(probe_bpffs());
  caps.items.push_back(probe_lockdown());
  caps.items.push_back(probe_perf());
  caps.items.push_back(probe_af_xdp_socket());
  caps.items.push_back(probe_busy_poll());
  if (opts.devices) {
    caps.devices.push_back(probe_device(opts.device, opts.netns));
    const NetnsScope in(opts.netns);
    caps.nics = survey_nics();
  }
  return caps;
}

std::vector<BackendPlan> plan_backends(const Capabilities& caps) {
  std::vector<BackendPlan> plan;
  const bool tp = caps.has("bpf") && caps.has("btf") && caps.has("tp_btf");
  plan.push_back({"tracepoint copy ledger (BPF tp_btf)", tp,
                  tp ? "exact counts at sock_send_length/sock_recv_length, net_dev_*, "
                       "netif_receive_skb, xdp_redirect, consume/kfree_skb"
                     : "needs BPF + BTF + tp_btf"});
  plan.push_back({"stack-trace histograms (BPF)", tp,
                  tp ? "bpf_get_stack at the path markers, printed in ftrace hist format"
                     : "needs tp_btf"});
  const Capability* hist = caps.find("hist_triggers");
  plan.push_back({"stack-trace histograms (tracefs hist trigger)", caps.has("hist_triggers"),
                  hist ? hist->evidence : "not probed"});
  const bool perf = caps.has("perf_cpu_clock") && caps.has("bpf");
  plan.push_back({"copy-site sampling (perf cpu-clock + BPF stacks)", perf,
                  perf ? "sampled: share of CPU samples in each copy routine"
                       : "needs perf_event_open(cpu-clock) and BPF"});
  const Capability* fentry = caps.find("fentry");
  const Capability* kprobe = caps.find("kprobes");
  // The kprobe backend runs whenever kprobes work; fentry would be cheaper but copylab has no
  // fentry programs (it is refused on the kernels copylab was built on), so it is named only.
  plan.push_back({"exact counts at the copy functions (kprobe BPF)", caps.has("kprobes"),
                  caps.has("kprobes")
                      ? fmt::format("kprobe backend: available, used automatically ({})",
                                    kprobe ? kprobe->evidence : "?")
                      : fmt::format("kprobe backend: unavailable ({}); fentry: {}",
                                    kprobe ? kprobe->evidence : "?",
                                    fentry ? fentry->evidence : "?")});
  // The kprobe module backend (copylab compare --backend kmod) is decided by kmod/'s check
  // (kmod_availability: modules, kprobes, signing, lockdown, headers, CAP_SYS_MODULE), which
  // `copylab doctor` prints after this list.
  return plan;
}

namespace {
// The surveyed devices whose drivers advertise AF_XDP zero-copy: "; here eth0 (virtio_net) ..."
std::string zero_copy_nics(const Capabilities& caps) {
  if (!caps.nics) return "";
  std::string names;
  int count = 0;
  for (const NicXdpFeatures& n : caps.nics->nics) {
    if (!n.zero_copy()) continue;
    names += (names.empty() ? "" : ", ") + n.name + (n.driver.empty() ? "" : " (" + n.driver + ")");
    ++count;
  }
  if (count == 0) return "";
  return " In this namespace " + names + (count == 1 ? " advertises" : " advertise") +
         " AF_XDP zero-copy (xdp-features xsk-zerocopy); copylab uses only the devices it makes "
         "or is given with --netns/--dev.";
}
}  // namespace

std::string zero_copy_note(const Capabilities& caps) {
  const std::string here = zero_copy_nics(caps);
  for (const DeviceCapabilities& d : caps.devices) {
    const Capability* zc = d.find("xsk_zerocopy");
    if (!zc) continue;
    if (zc->ok)
      return fmt::format("{} supports AF_XDP zero-copy: payloads can stay in UMEM end to end.",
                         d.device) + here;
    return fmt::format(
        "AF_XDP zero-copy is not available on {}{} ({}). AF_XDP runs in copy mode here: it "
        "removes the user<->kernel copies (COPY #1/#4) but the kernel copies into/out of UMEM, "
        "so copies move rather than vanish. True zero-copy needs a NIC driver with XDP_ZEROCOPY "
        "support (e.g. ice, i40e, mlx5, virtio_net from Linux 6.12).{}",
        d.device, d.temporary ? " (temporary veth)" : "", zc->evidence, here);
  }
  return "zero-copy not probed (no device probe)";
}

namespace {
nlohmann::json items_json(const std::vector<Capability>& items) {
  nlohmann::json j = nlohmann::json::object();
  for (const Capability& c : items)
    j[c.id] = {{"label", c.label}, {"ok", c.ok}, {"evidence", c.evidence}};
  return j;
}
}  // namespace

nlohmann::json to_json(const Capabilities& caps) {
  nlohmann::json devices = nlohmann::json::array();
  for (const DeviceCapabilities& d : caps.devices) {
    devices.push_back({{"device", d.device},
                       {"netns", d.netns},
                       {"temporary", d.temporary},
                       {"capabilities", items_json(d.items)}});
  }
  nlohmann::json backends = nlohmann::json::array();
  for (const BackendPlan& b : plan_backends(caps))
    backends.push_back({{"name", b.name}, {"available", b.available}, {"why", b.why}});
  return {{"capabilities", items_json(caps.items)},
          {"hist_stack_key", caps.hist_stack_key},
          {"devices", std::move(devices)},
          {"nics", caps.nics ? to_json(*caps.nics) : nlohmann::json(nullptr)},
          {"backends", std::move(backends)},
          {"zero_copy", zero_copy_note(caps)}};
}

std::string format_capabilities(const Capabilities& caps) {
  std::string out = "Kernel capabilities (each probed, not inferred from the version):\n";
  auto row = [&](const Capability& c) {
    out += fmt::format("  {:<30} {:<4} {}\n", c.label, c.ok ? "yes" : "no", c.evidence);
  };
  for (const Capability& c : caps.items) row(c);
  for (const DeviceCapabilities& d : caps.devices) {
    out += fmt::format("\nDevice {}{}{}:\n", d.device,
                       d.netns.empty() ? "" : " in netns " + d.netns,
                       d.temporary ? " (temporary veth pair, removed after the probe)" : "");
    for (const Capability& c : d.items) row(c);
  }
  if (caps.nics) out += "\n" + format_nic_survey(*caps.nics);
  out += "\nCross-check backends:\n";
  for (const BackendPlan& b : plan_backends(caps))
    out += fmt::format("  {:<56} {:<4} {}\n", b.name, b.available ? "yes" : "no", b.why);
  out += "\nZero-copy: " + zero_copy_note(caps) + "\n";
  return out;
}

}  // namespace copylab::trace

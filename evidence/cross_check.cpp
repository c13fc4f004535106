#include "evidence/cross_check.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "evidence/bpf_handles.hpp"
#include "evidence/capabilities.hpp"
#include "evidence/cross_check_abi.h"
#include "evidence/kallsyms.hpp"
#include "evidence/kprobe_backend.hpp"
#include "evidence/kernel_counters.hpp"
#include "evidence/perf_sampler.hpp"

#include "cross_check.skel.h"

namespace copylab::trace {
namespace {

struct SkelDeleter {
  void operator()(cross_check* s) const noexcept { cross_check__destroy(s); }
};
using SkelPtr = std::unique_ptr<cross_check, SkelDeleter>;

struct BtfDeleter {
  void operator()(btf* b) const noexcept { btf__free(b); }
};


// Each tp_btf program, the kernel tracepoint it needs and how many of the tracepoint's
// arguments it reads (the verifier rejects a read past the kernel's prototype). Variants of one
// tracepoint are listed richest first; the first one this kernel's prototype satisfies is loaded.
struct ProgSpec {
  bpf_program* prog;
  const char* tracepoint;  // kernel name (btf_trace_<name> must exist)
  const char* group;       // for reports
  int args;                // tracepoint arguments the program reads
  const char* lacks;       // what a poorer variant cannot record ("" = nothing)
};

std::vector<ProgSpec> prog_specs(cross_check& s) {
  return {
      {s.progs.cl_fork, "sched_process_fork", "sched", 2, ""},
      {s.progs.cl_exit, "sched_process_exit", "sched", 1, ""},
      {s.progs.cl_send_length, "sock_send_length", "sock", 3, ""},
      {s.progs.cl_recv_length, "sock_recv_length", "sock", 3, ""},
      {s.progs.cl_sys_enter, "sys_enter", "raw_syscalls", 2, ""},
      {s.progs.cl_dev_queue, "net_dev_queue", "net", 1, ""},
      {s.progs.cl_dev_start_xmit, "net_dev_start_xmit", "net", 2, ""},
      {s.progs.cl_netif_receive_skb, "netif_receive_skb", "net", 1, ""},
      {s.progs.cl_xdp_redirect, "xdp_redirect", "xdp", 7, ""},
      {s.progs.cl_consume_skb, "consume_skb", "skb", 2, ""},
      {s.progs.cl_consume_skb_noloc, "consume_skb", "skb", 1,
       "skb:consume_skb has no location argument on this kernel (added in 6.3): consume_skb is "
       "counted, but where skbs were freed is not recorded"},
      {s.progs.cl_kfree_skb, "kfree_skb", "skb", 3, ""},
      {s.progs.cl_kfree_skb_noreason, "kfree_skb", "skb", 2,
       "skb:kfree_skb has no drop reason on this kernel (added in 5.17): reasons read 0"},
  };
}

// Kernels that lack a tracepoint copylab uses: when it appeared upstream, for the report.
const char* added_in(std::string_view tracepoint) {
  if (tracepoint == "sock_send_length" || tracepoint == "sock_recv_length") return "added in 6.3";
  return "not in this kernel";
}

// Arguments of the kernel's tracepoint `name` from its BTF (btf_trace_<name> is a typedef of a
// pointer to a func proto whose first parameter is the tracepoint's private data); -1 when this
// kernel has no such tracepoint.
int tracepoint_args(const btf* vmlinux, const char* name) {
  const std::string type = std::string("btf_trace_") + name;
  const int id = btf__find_by_name_kind(vmlinux, type.c_str(), BTF_KIND_TYPEDEF);
  if (id < 0) return -1;
  const btf_type* t = btf__type_by_id(vmlinux, static_cast<__u32>(id));
  if (t) t = btf__type_by_id(vmlinux, t->type);                       // the pointer
  if (t && btf_is_ptr(t)) t = btf__type_by_id(vmlinux, t->type);      // the func proto
  if (!t || !btf_is_func_proto(t)) return 0;  // unknown shape: the tracepoint exists
  return std::max(0, static_cast<int>(btf_vlen(t)) - 1);
}

// Frames the tracing machinery adds above the traced kernel function (BPF trampolines, the
// tracepoint iterator): ftrace's own hist skips them too.
bool is_tracing_frame(const std::string& fn) {
  return fn.rfind("bpf_", 0) == 0 || fn.rfind("__bpf_", 0) == 0 ||
         fn.rfind("__traceiter_", 0) == 0 || fn.rfind("trace_", 0) == 0 ||
         fn.rfind("perf_trace_", 0) == 0 || fn == "?";
}

template <typename K, typename V>
std::vector<std::pair<K, V>> read_hash(int fd) {
  std::vector<std::pair<K, V>> out;
  K key{};
  K next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    V v{};
    if (bpf_map_lookup_elem(fd, &next, &v) == 0) out.emplace_back(next, v);
    key = next;
    prev = &key;
  }
  return out;
}

struct LineDef {
  std::string_view id;
  cl_ledger_event ev;
  const char* what;
  const char* tracepoint;
};

const LineDef kLineDefs[] = {
    {ledger_id::kCopy1, CL_EV_SEND_INET, "COPY #1: user buffer -> kernel skb, one per datagram",
     "sock:sock_send_length family=AF_INET ret>0"},
    {ledger_id::kXskTxKick, CL_EV_SEND_XDP, "AF_XDP TX kick (sendto on the XSK): copies no user bytes",
     "sock:sock_send_length family=AF_XDP"},
    {ledger_id::kSendOther, CL_EV_SEND_OTHER, "sends on other socket families",
     "sock:sock_send_length other family"},
    {ledger_id::kSendError, CL_EV_SEND_ERR, "sends that failed (EAGAIN, ENOBUFS...)",
     "sock:sock_send_length ret<0"},
    {ledger_id::kCopy4, CL_EV_RECV_INET, "COPY #4: kernel skb -> user buffer, one per datagram",
     "sock:sock_recv_length family=AF_INET ret>0"},
    {ledger_id::kXskRecvmsg, CL_EV_RECV_XDP, "AF_XDP recvmsg (a wakeup, copies nothing)",
     "sock:sock_recv_length family=AF_XDP"},
    {ledger_id::kRecvOther, CL_EV_RECV_OTHER, "receives on other socket families",
     "sock:sock_recv_length other family"},
    {ledger_id::kRecvError, CL_EV_RECV_ERR, "receives that returned an error (EAGAIN of a spinner)",
     "sock:sock_recv_length ret<0"},
    {ledger_id::kDevQueue, CL_EV_DEV_QUEUE, "skb queued for transmit by the stack (socket path)",
     "net:net_dev_queue"},
    {ledger_id::kDevStartXmit, CL_EV_DEV_START_XMIT, "skb handed to the driver (socket path)",
     "net:net_dev_start_xmit"},
    {ledger_id::kNetifReceiveSkb, CL_EV_NETIF_RECEIVE_SKB, "skb entering the receive stack",
     "net:netif_receive_skb"},
    {ledger_id::kXdpRedirectXsk, CL_EV_XDP_REDIRECT_XSK,
     "XDP redirect into an XSKMAP: the copy into UMEM (__xsk_rcv) follows",
     "xdp:xdp_redirect map_type=XSKMAP err=0"},
    {ledger_id::kXdpRedirectOther, CL_EV_XDP_REDIRECT_OTHER, "XDP redirect elsewhere",
     "xdp:xdp_redirect other target"},
    {ledger_id::kXdpRedirectErr, CL_EV_XDP_REDIRECT_ERR, "XDP redirect that failed",
     "xdp:xdp_redirect err!=0"},
    {ledger_id::kConsumeSkb, CL_EV_CONSUME_SKB, "skbs freed after use (locations below)",
     "skb:consume_skb"},
    {ledger_id::kKfreeSkb, CL_EV_KFREE_SKB, "skbs dropped (locations and reasons below)",
     "skb:kfree_skb"},
};

}  // namespace

struct CrossCheck::Impl {
  SkelPtr skel;
  std::vector<BpfLinkPtr> links;
  std::optional<PerfSampler> sampler;
  ScopeSpec scope;
  bool pid_scope = false;
  std::chrono::steady_clock::time_point started;
  std::vector<BackendStatus> backends;
  std::vector<std::string> attached, missing;
  std::map<std::string, std::string> unavailable;  // "sock:sock_send_length" -> why
  std::vector<std::pair<std::string, std::string>> gaps;  // tracepoint -> what its variant lacks
  std::string hist_key;  // the kernel's name of the stack key
  std::unique_ptr<KprobeBackend> kprobes;
  std::string kprobe_reason;  // why the kprobe backend does not run ("" when it does)
  std::optional<KernelSymbols> syms;       // loaded at start: watched ranges, then symbolizing
  std::vector<std::string> watched;        // functions whose consume_skb calls are exact
  std::set<std::string> not_collected;     // "net:net_dev_queue": markers left off for their cost
  std::optional<std::uint64_t> redirects_before;  // the counter device's xdp_redirect at start
  std::string redirect_counter;            // its counter's name ("rx_queue_0_xdp_redirect")
  std::string redirect_counter_gap;        // why it could not be read ("" when it could)
  std::string syscalls_reason;  // why they were not counted ("" when they were)
  std::uint32_t syscall_slots = 0;  // syscall_tgids in use

  void detach() noexcept {
    if (sampler) sampler->stop();
    if (kprobes) kprobes->detach();
    links.clear();
  }

  // The steps of CrossCheck::start.
  void open(const CrossCheckOptions& opts);
  void choose_programs(const CrossCheckOptions& opts);
  void load();
  void fill_scope();
  void attach_tracepoints();
  void start_kprobes(const CrossCheckOptions& opts);
  void start_counters(const CrossCheckOptions& opts);
  void add_syscall_pid(pid_t pid);
  std::vector<SyscallCount> read_syscalls();
  void describe_backends(const CrossCheckOptions& opts);
  // The steps of CrossCheck::stop (after detach).
  CopyLedger read_ledger(const CrossCheckOptions& opts);
};

// The steps of CrossCheck::start, in order.
void CrossCheck::Impl::open(const CrossCheckOptions& opts) {
  if (scope.netns_inums.size() > CL_MAX_SCOPE_NETNS || scope.ifindexes.size() > CL_MAX_SCOPE_IFINDEX ||
      scope.ports.size() > CL_MAX_SCOPE_PORTS)
    throw Error(fmt::format("cross-check scope too wide: {} namespaces, {} devices, {} ports",
                            scope.netns_inums.size(), scope.ifindexes.size(), scope.ports.size()),
                fmt::format("scope at most {} namespaces, {} devices and {} ports", CL_MAX_SCOPE_NETNS,
                            CL_MAX_SCOPE_IFINDEX, CL_MAX_SCOPE_PORTS));
  for (std::uint32_t every : {opts.stack_every, opts.free_every})
    if (every == 0 || (every & (every - 1)) != 0)
      throw Error(fmt::format("cross-check sampling rate 1 in {} is not a power of two", every),
                  "sample 1 event in 1, 2, 4, 8, ...");
  skel.reset(cross_check__open());
  if (!skel) throw_errno("open BPF object", "cross_check.bpf.c", errno, "check libbpf and kernel BTF");
  cross_check& s = *skel;
  s.rodata->scope_pids = pid_scope;
  s.rodata->scope_netns = !scope.netns_inums.empty();
  s.rodata->scope_ifindex = !scope.ifindexes.empty();
  s.rodata->scope_ports = !scope.ports.empty();
  s.rodata->follow_forks = scope.follow_forks;
  s.rodata->hist_enabled = opts.histograms;
  s.rodata->payload_samples_enabled = opts.payload_samples;
  s.rodata->n_netns = static_cast<std::uint32_t>(scope.netns_inums.size());
  for (std::size_t i = 0; i < scope.netns_inums.size(); ++i) s.rodata->netns_inums[i] = scope.netns_inums[i];
  s.rodata->n_ifindex = static_cast<std::uint32_t>(scope.ifindexes.size());
  for (std::size_t i = 0; i < scope.ifindexes.size(); ++i)
    s.rodata->ifindexes[i] = static_cast<std::uint32_t>(scope.ifindexes[i]);
  s.rodata->n_ports = static_cast<std::uint32_t>(scope.ports.size());
  for (std::size_t i = 0; i < scope.ports.size(); ++i) s.rodata->ports[i] = scope.ports[i];
  s.rodata->stack_mask = opts.stack_every - 1;
  s.rodata->free_mask = opts.free_every - 1;
  // The watched functions' text ranges: a consume_skb location (its caller's return address)
  // inside one is counted exactly.
  try {
    syms = KernelSymbols::load();
  } catch (const Error& e) {
    spdlog::warn("cross-check: kernel stacks stay unsymbolized and skb free locations sampled: {}",
                 e.one_line());
  }
  std::uint32_t n = 0;
  for (const std::string& fn : opts.watched_frees) {
    if (!syms || n >= CL_MAX_WATCHED_FREES) break;
    const auto addr = syms->address_of(fn);
    const auto sym = addr ? syms->resolve(*addr) : std::nullopt;
    if (!sym || sym->size == 0) continue;  // not in this kernel (or its module is not loaded)
    s.rodata->watched_lo[n] = *addr;
    s.rodata->watched_hi[n] = *addr + sym->size;
    watched.push_back(fn);
    ++n;
  }
  s.rodata->n_watched = n;
}

// Loads only the programs whose tracepoint this kernel has, in the variant its prototype allows,
// and records which are missing (and which ledger lines that makes unmeasurable).
void CrossCheck::Impl::choose_programs(const CrossCheckOptions& opts) {
  cross_check& s = *skel;
  std::unique_ptr<btf, BtfDeleter> vmlinux(btf__load_vmlinux_btf());
  if (!vmlinux)
    throw_errno("load kernel BTF", "/sys/kernel/btf/vmlinux", errno,
                "the cross-check needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
  std::map<std::string, bool> chosen;  // tracepoint -> a variant is loaded
  for (const ProgSpec& p : prog_specs(s)) {
    const std::string name = fmt::format("{}:{}", p.group, p.tracepoint);
    const int have = tracepoint_args(vmlinux.get(), p.tracepoint);
    const bool fits = have >= p.args && !chosen[p.tracepoint];
    bpf_program__set_autoload(p.prog, fits);
    if (fits) {
      chosen[p.tracepoint] = true;
      if (*p.lacks) gaps.emplace_back(p.tracepoint, p.lacks);
    } else if (have < 0 && !unavailable.count(name)) {
      unavailable[name] = fmt::format("tracepoint {} missing ({})", name, added_in(p.tracepoint));
      missing.push_back(fmt::format("{} ({})", name, added_in(p.tracepoint)));
    }
  }
  for (const ProgSpec& p : prog_specs(s)) {
    const std::string name = fmt::format("{}:{}", p.group, p.tracepoint);
    if (!chosen[p.tracepoint] && !unavailable.count(name)) {
      unavailable[name] = fmt::format("tracepoint {} has {} arguments here, fewer than copylab reads",
                                      name, tracepoint_args(vmlinux.get(), p.tracepoint));
      missing.push_back(fmt::format("{} (unexpected prototype)", name));
    }
  }
  if (!opts.sampling) bpf_program__set_autoload(s.progs.cl_sample, false);
  // Left off for their cost per packet when nothing this run asked for needs them.
  const auto leave_off = [&](bpf_program* prog, const char* name) {
    if (!bpf_program__autoload(prog)) return;
    bpf_program__set_autoload(prog, false);
    not_collected.insert(name);
  };
  if (!opts.path_markers && !opts.histograms && !opts.payload_samples) {
    leave_off(s.progs.cl_dev_queue, "net:net_dev_queue");
    leave_off(s.progs.cl_dev_start_xmit, "net:net_dev_start_xmit");
    leave_off(s.progs.cl_netif_receive_skb, "net:netif_receive_skb");
  }
  if ((opts.redirect_counter_device || opts.redirect_from_generic_frees) && !opts.histograms)
    leave_off(s.progs.cl_xdp_redirect, "xdp:xdp_redirect");
  if (!opts.syscalls || (!pid_scope && scope.netns_inums.empty()))
    bpf_program__set_autoload(s.progs.cl_sys_enter, false);
}

void CrossCheck::Impl::load() {
  if (int err = cross_check__load(skel.get()); err != 0)
    throw_errno("load BPF programs (tp_btf tracepoints, perf_event)", "cross_check.bpf.c", -err,
                "run as root; `copylab doctor` shows whether tp_btf and BPF loads are allowed; "
                "-vv shows the verifier log");
}

void CrossCheck::Impl::fill_scope() {
  cross_check& s = *skel;
  const std::uint8_t one = 1;
  for (std::uint32_t inum : scope.netns_inums)
    bpf_map_update_elem(bpf_map__fd(s.maps.scope_netns_set), &inum, &one, BPF_ANY);
  for (pid_t pid : scope.pids) {
    const auto key = static_cast<std::uint32_t>(pid);
    bpf_map_update_elem(bpf_map__fd(s.maps.scope_pid_set), &key, &one, BPF_ANY);
    add_syscall_pid(pid);
  }
  // Devices and ports are in the programs' read-only data (open()).
}

// Attaches every loaded tracepoint program; one that fails is reported, not fatal, unless none
// attaches at all.
void CrossCheck::Impl::attach_tracepoints() {
  for (const ProgSpec& p : prog_specs(*skel)) {
    if (!bpf_program__autoload(p.prog)) continue;
    const std::string name = fmt::format("{}:{}", p.group, p.tracepoint);
    bpf_link* link = bpf_program__attach(p.prog);
    if (!link) {
      missing.push_back(fmt::format("{} (attach: {})", name, errno_text(errno)));
      unavailable[name] = fmt::format("attaching {} failed: {}", name, errno_text(errno));
      continue;
    }
    links.emplace_back(link);
    attached.push_back(name);
  }
  if (links.empty()) {
    throw Error("cross-check: no tracepoint could be attached (" +
                    (missing.empty() ? std::string("?") : missing.front()) + ")",
                "run `copylab doctor` to see what this kernel refuses", kExitUnsupported);
  }
}

// Exact counts at the copy functions: kprobes where the kernel allows them (fentry, which would
// be cheaper, is refused on the kernels this was built for: it stays a doctor line).
void CrossCheck::Impl::start_kprobes(const CrossCheckOptions& opts) {
  const Capability kprobe = probe_kprobes();
  if (opts.kprobes && kprobe.ok) {
    kprobes = std::make_unique<KprobeBackend>(
        KprobeScope{bpf_map__fd(skel->maps.scope_pid_set), bpf_map__fd(skel->maps.scope_netns_set),
                    pid_scope, !scope.netns_inums.empty()});
    kprobe_reason = kprobes->active() ? "" : kprobes->reason();
  } else {
    kprobe_reason = opts.kprobes ? kprobe.evidence : "switched off";
  }
}

namespace {

// The summed rx_queue_<n>_xdp_redirect counters of a veth (every queue), or the reason why not.
std::optional<std::uint64_t> veth_xdp_redirects(const CounterDevice& d, std::string* name,
                                                std::string* gap) {
  const CounterMap stats = read_ethtool_stats(d.netns, d.dev);
  std::uint64_t sum = 0;
  std::vector<std::string> names;
  for (const auto& [key, value] : stats) {
    if (key.rfind("rx_queue_", 0) != 0 || key.size() < 13 ||
        key.compare(key.size() - 13, 13, "_xdp_redirect") != 0)
      continue;
    sum += static_cast<std::uint64_t>(std::max(0LL, value));
    names.push_back(key);
  }
  if (names.empty()) {
    *gap = fmt::format("`ethtool -S {}` (netns {}) has no rx_queue_<n>_xdp_redirect counter", d.dev,
                       d.netns.empty() ? "current" : d.netns);
    return std::nullopt;
  }
  *name = fmt::format("{}", fmt::join(names, "+"));
  return sum;
}

}  // namespace

// What is counted outside the tracepoint ledger: why syscalls are not counted (when they are not),
// and the redirect counter device's value at the start.
void CrossCheck::Impl::start_counters(const CrossCheckOptions& opts) {
  if (!opts.syscalls)
    syscalls_reason = "switched off";
  else if (!pid_scope && scope.netns_inums.empty())
    syscalls_reason = "they need a pid or netns scope (unscoped, they would be the machine's)";
  else if (!bpf_program__autoload(skel->progs.cl_sys_enter))
    syscalls_reason = unavailable.count("raw_syscalls:sys_enter") ? unavailable["raw_syscalls:sys_enter"]
                                                                 : "raw_syscalls:sys_enter not loaded";
  if (opts.redirect_counter_device)
    redirects_before =
        veth_xdp_redirects(*opts.redirect_counter_device, &redirect_counter, &redirect_counter_gap);
}

// A scoped process's system calls: counted in its own per-CPU slot while slots last, else through
// the pid set.
void CrossCheck::Impl::add_syscall_pid(pid_t pid) {
  cross_check& s = *skel;
  if (syscall_slots < CL_MAX_SYSCALL_TGIDS) {
    s.bss->scope_tgids[syscall_slots++] = static_cast<std::uint32_t>(pid);
  } else {
    s.bss->scope_tgids_full = true;
  }
}

std::vector<SyscallCount> CrossCheck::Impl::read_syscalls() {
  cross_check& s = *skel;
  std::vector<SyscallCount> out;
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
  const int fd = bpf_map__fd(s.maps.syscall_counts);
  for (std::uint32_t slot = 0; slot < syscall_slots; ++slot) {
    for (std::uint32_t nr = 0; nr < CL_SYSCALL_NRS; ++nr) {
      std::uint32_t key = slot * CL_SYSCALL_NRS + nr;
      if (bpf_map_lookup_elem(fd, &key, per_cpu.data()) != 0) continue;
      std::uint64_t n = 0;
      for (std::uint64_t v : per_cpu) n += v;
      if (n == 0) continue;
      out.push_back({static_cast<pid_t>(s.bss->scope_tgids[slot]), nr,
                     nr == CL_SYSCALL_NRS - 1 ? fmt::format("syscall_{}_or_above", nr) : syscall_name(nr),
                     n});
    }
  }
  for (const auto& [key, count] :
       read_hash<cl_syscall_key, std::uint64_t>(bpf_map__fd(s.maps.syscalls)))
    out.push_back({static_cast<pid_t>(key.tgid), key.id, syscall_name(key.id), count});
  return out;
}

// The backend report: what runs and what does not, with the reason.
void CrossCheck::Impl::describe_backends(const CrossCheckOptions& opts) {
  const std::string attached_list = fmt::format("{}", fmt::join(attached, ", "));
  backends.push_back(
      {"tracepoint ledger (BPF tp_btf)", true,
       "exact counts at " + attached_list +
           (missing.empty() ? "" : fmt::format("; missing: {}", fmt::join(missing, ", ")))});
  for (const auto& [tp, lacks] : gaps) backends.push_back({"ledger gap at skb:" + tp, false, lacks});
  if (!not_collected.empty())
    backends.push_back({"left off for their cost per packet", false,
                        fmt::format("{} (not asked for in this run: their ledger lines say "
                                    "\"not collected\")",
                                    fmt::join(not_collected, ", "))});
  backends.push_back(
      {"skb free locations", true,
       fmt::format("exact for calls from {}; other locations sampled (1 free in {} per CPU)",
                   watched.empty() ? std::string("no function (kernel symbols unavailable)")
                                   : fmt::format("{}", fmt::join(watched, ", ")),
                   opts.free_every)});
  if (opts.redirect_counter_device) {
    backends.push_back({"XSK redirects from the device's own counter", redirects_before.has_value(),
                        redirects_before ? fmt::format("{} on {} (veth native XDP), read before and "
                                                       "after: no event per packet",
                                                       redirect_counter,
                                                       opts.redirect_counter_device->dev)
                                         : redirect_counter_gap});
  }
  backends.push_back(
      {"syscall counts (BPF tp_btf raw_syscalls:sys_enter)", syscalls_reason.empty(),
       syscalls_reason.empty()
           ? std::string("scope checked first: the experiment's processes by register compares, "
                         "then a per-CPU counter; other tasks return at once")
           : syscalls_reason});
  backends.push_back({"stack histograms (BPF bpf_get_stack)", opts.histograms,
                      opts.histograms ? fmt::format("kernel stacks at net:netif_receive_skb, "
                                                    "net:net_dev_start_xmit, xdp:xdp_redirect; {}",
                                                    opts.stack_every == 1
                                                        ? std::string("every event")
                                                        : fmt::format("1 event in {} per CPU (sampled)",
                                                                      opts.stack_every))
                                      : "switched off"});
  std::string key;
  const Capability hist = probe_hist_triggers(&key);
  hist_key = key.empty() ? hist_stack_key_for_kernel() : key;
  backends.push_back({"tracefs hist trigger", false,
                      hist.ok ? "available (" + key + "); copylab's BPF histogram used"
                              : "not available: " + hist.evidence});
  if (sampler && sampler->active()) {
    backends.push_back({"copy-site sampling (perf cpu-clock + BPF stacks)", true,
                        fmt::format("{} Hz on {} CPUs, machine-wide", opts.sample_hz, sampler->cpus())});
  } else {
    backends.push_back({"copy-site sampling (perf cpu-clock + BPF stacks)", false,
                        sampler ? sampler->reason() : "switched off"});
  }
  backends.push_back(
      {"exact counts at the copy functions (kprobe BPF)", kprobes && kprobes->active(),
       kprobes ? kprobes->describe() : "kprobe backend: unavailable (" + kprobe_reason + ")"});
}


const char* to_string(CheckTier t) noexcept {
  switch (t) {
    case CheckTier::kLedger: return "exact ledger";
    case CheckTier::kLedgerStacks: return "exact ledger + sampled stacks";
    case CheckTier::kPaced: return "exact ledger + markers, payload and cpu-clock samples";
    case CheckTier::kFull: return "everything, every event";
  }
  return "?";
}

CrossCheckOptions cross_check_options(CheckTier t) {
  CrossCheckOptions o;
  o.histograms = t == CheckTier::kLedgerStacks || t == CheckTier::kFull;
  o.stack_every = t == CheckTier::kFull ? 1 : 64;
  o.sampling = t == CheckTier::kPaced || t == CheckTier::kFull;
  o.payload_samples = o.sampling;
  o.path_markers = o.sampling;
  if (t == CheckTier::kPaced) {
    // What lies on a paced packet's path adds to its latency. A cpu-clock sample costs about
    // 1-2 us of stack walk on a 2-vCPU VM: ~1 kHz per CPU instead of ~5 kHz. A sys_enter event on
    // the sender's per-packet system call measurably delays the packet: syscalls are counted in
    // the unpaced runs, where batching makes them the number to read.
    o.sample_hz = 999;
    o.syscalls = false;
  }
  return o;
}

const StackHistogram* CrossCheckResult::histogram(const std::string& event) const {
  for (const StackHistogram& h : histograms)
    if (h.event == event) return &h;
  return nullptr;
}

CrossCheck::CrossCheck(CrossCheckOptions opts) : opts_(opts) {}
CrossCheck::~CrossCheck() = default;

bool CrossCheck::running() const noexcept { return impl_ != nullptr; }

void CrossCheck::start(const ScopeSpec& scope) {
  if (impl_) throw Error("cross-check already running", "call stop() before start() again");
  auto impl = std::make_unique<Impl>();
  impl->scope = scope;
  impl->pid_scope = !scope.pids.empty() || opts_.pids_added_later;
  impl->open(opts_);
  impl->choose_programs(opts_);
  impl->load();
  impl->fill_scope();  // before anything is attached, so the first event is already scoped
  impl->attach_tracepoints();
  if (opts_.sampling) impl->sampler.emplace(impl->skel->progs.cl_sample, opts_.sample_hz);
  impl->start_kprobes(opts_);
  impl->start_counters(opts_);
  impl->describe_backends(opts_);
  impl->started = std::chrono::steady_clock::now();
  spdlog::debug("cross-check attached: {} (scope: {})", fmt::join(impl->attached, ", "),
                scope.describe());
  impl_ = std::move(impl);
}

void CrossCheck::add_pid(pid_t pid) {
  if (!impl_ || !impl_->pid_scope)
    throw Error("cross-check: add_pid() needs a running pid scope",
                "start() with ScopeSpec::pids or CrossCheckOptions::pids_added_later");
  const auto key = static_cast<std::uint32_t>(pid);
  const std::uint8_t one = 1;
  if (bpf_map_update_elem(bpf_map__fd(impl_->skel->maps.scope_pid_set), &key, &one, BPF_ANY) != 0)
    throw_errno("add pid to the cross-check scope", std::to_string(pid), errno);
  impl_->scope.pids.push_back(pid);
  impl_->add_syscall_pid(pid);
}

namespace {

std::vector<std::uint64_t> stack_ips(const cl_stack& st) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t ip : st.ips) {
    if (ip == 0) break;
    out.push_back(ip);
  }
  return out;
}
}  // namespace

CopyLedger CrossCheck::Impl::read_ledger(const CrossCheckOptions& opts) {
  cross_check& s = *skel;
  const KernelSymbols* sp = syms ? &*syms : nullptr;
  CopyLedger ledger;
  ledger.scope = scope;
  for (const auto& [tp, lacks] : gaps)
    if (tp == "consume_skb") ledger.skb_location_gap = lacks;
  const int ncpu = libbpf_num_possible_cpus();
  std::vector<cl_counter> percpu(static_cast<std::size_t>(std::max(ncpu, 1)));
  const int fd = bpf_map__fd(s.maps.ledger);
  auto total = [&](cl_ledger_event ev) {
    cl_counter sum{0, 0};
    std::uint32_t key = ev;
    if (bpf_map_lookup_elem(fd, &key, percpu.data()) == 0) {
      for (const cl_counter& c : percpu) {
        sum.count += c.count;
        sum.bytes += c.bytes;
      }
    }
    return sum;
  };
  // The XSK redirects from the device's own counter, when this run reads it.
  std::optional<std::uint64_t> redirects;
  if (opts.redirect_counter_device && redirects_before) {
    std::string name, gap;
    if (const auto after = veth_xdp_redirects(*opts.redirect_counter_device, &name, &gap))
      redirects = *after - std::min(*after, *redirects_before);
    else
      redirect_counter_gap = gap;
  }
  const int nc = std::max(ncpu, 1);
  const auto watched_count = [&](std::string_view fn) {
    std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(nc));
    std::uint64_t n = 0;
    for (std::uint32_t i = 0; i < watched.size(); ++i) {
      if (watched[i] != fn) continue;
      if (bpf_map_lookup_elem(bpf_map__fd(s.maps.watched_frees), &i, per_cpu.data()) != 0) continue;
      for (std::uint64_t v : per_cpu) n += v;
    }
    return n;
  };
  for (const LineDef& d : kLineDefs) {
    const std::string_view marker(d.tracepoint);
    const std::string tp(marker.substr(0, marker.find(' ')));
    LedgerLine line{std::string(d.id), d.what, d.tracepoint, 0, 0, Measured::kExactTracepoint, "", "", {}};
    if (d.ev == CL_EV_XDP_REDIRECT_XSK && opts.redirect_counter_device) {
      if (redirects) {
        line.count = *redirects;
        line.measured = Measured::kExactKernelCounter;
        line.tracepoint = "veth " + redirect_counter;
        line.how = fmt::format("exact count (kernel counter: {} {}, every successful redirect of "
                               "its native XDP program, which redirects only into its XSKMAP)",
                               opts.redirect_counter_device->dev, redirect_counter);
      } else {
        line.measured = Measured::kUnavailable;
        line.unavailable = redirect_counter_gap;
      }
    } else if (d.ev == CL_EV_XDP_REDIRECT_XSK && opts.redirect_from_generic_frees) {
      const bool watched_here =
          std::any_of(watched.begin(), watched.end(),
                      [](const std::string& f) { return f.rfind("xdp_do_generic_redirect", 0) == 0; });
      if (watched_here && !unavailable.count("skb:consume_skb") && ledger.skb_location_gap.empty()) {
        line.count = watched_count("xdp_do_generic_redirect") + watched_count("xdp_do_generic_redirect_map");
        line.tracepoint = "skb:consume_skb in xdp_do_generic_redirect";
        line.how = "exact count (tracepoint skb:consume_skb from xdp_do_generic_redirect: one per "
                   "successful XSKMAP redirect of generic XDP)";
      } else {
        line.measured = Measured::kUnavailable;
        line.unavailable = "consume_skb locations are not resolvable here (no kernel symbols or no "
                           "location argument): use the xdp:xdp_redirect tracepoint";
      }
    } else if (const auto gone = unavailable.find(tp); gone != unavailable.end()) {
      line.measured = Measured::kUnavailable;
      line.unavailable = gone->second;
    } else if (not_collected.count(tp)) {
      line.measured = Measured::kNotCollected;
      line.unavailable = tp + " not attached: one event per packet, and nothing this run asked for "
                              "needs it";
    } else {
      const cl_counter c = total(d.ev);
      line.count = c.count;
      line.bytes = c.bytes;
    }
    ledger.lines.push_back(std::move(line));
  }

  const auto function_of = [&](std::uint64_t location, SkbFreeSite& f) {
    const auto r = sp ? sp->resolve(location) : std::nullopt;
    f.location = r ? r->format() : fmt::format("{:#x}", location);
    f.function = r ? r->name : f.location;
  };
  for (const auto& [key, count] :
       read_hash<cl_location_key, std::uint64_t>(bpf_map__fd(s.maps.skb_locations))) {
    SkbFreeSite f;
    f.event = key.event == CL_EV_KFREE_SKB ? "kfree_skb" : "consume_skb";
    f.reason = key.reason;
    f.count = count;
    f.sampled_every = key.event == CL_EV_CONSUME_SKB ? opts.free_every : 1;
    function_of(key.location, f);
    ledger.skb_frees.push_back(std::move(f));
  }
  // The watched functions: one exact row each (their location is the function itself).
  for (const std::string& fn : watched) {
    const std::uint64_t n = watched_count(fn);
    if (n == 0) continue;
    SkbFreeSite f;
    f.event = "consume_skb";
    f.location = f.function = fn;
    f.count = n;
    ledger.skb_frees.push_back(std::move(f));
  }
  std::sort(ledger.skb_frees.begin(), ledger.skb_frees.end(),
            [](const SkbFreeSite& a, const SkbFreeSite& b) { return a.count > b.count; });

  if (syscalls_reason.empty())
    ledger.syscalls = read_syscalls();
  else
    ledger.syscalls_gap = "not counted: " + syscalls_reason;
  std::sort(ledger.syscalls.begin(), ledger.syscalls.end(),
            [](const SyscallCount& a, const SyscallCount& b) { return a.count > b.count; });

  // Payload samples: the first CL_MAX_PAYLOAD_SAMPLES of each place.
  const int next_fd = bpf_map__fd(s.maps.payload_sample_next);
  const int samples_fd = bpf_map__fd(s.maps.payload_samples);
  for (std::uint32_t where = 0; where < 2; ++where) {
    std::uint32_t n = 0;
    if (bpf_map_lookup_elem(next_fd, &where, &n) != 0) continue;
    n = std::min<std::uint32_t>(n, CL_MAX_PAYLOAD_SAMPLES);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint32_t key = where * CL_MAX_PAYLOAD_SAMPLES + i;
      cl_payload_sample v{};
      if (bpf_map_lookup_elem(samples_fd, &key, &v) != 0 || v.skb == 0) continue;
      ledger.payload_samples.push_back(
          {where == CL_WHERE_DEV_QUEUE ? "net:net_dev_queue" : "net:netif_receive_skb", v.seq,
           v.skb, v.head, v.data, v.payload, v.len, v.ifindex, static_cast<pid_t>(v.tgid)});
    }
  }
  return ledger;
}

namespace {

std::vector<StackHistogram> read_histograms(cross_check& s, const ScopeSpec& scope,
                                            const KernelSymbols* syms, std::uint64_t dropped,
                                            const std::string& key_name, std::uint32_t every) {
  static const char* kEvents[CL_HIST_COUNT] = {"net:netif_receive_skb", "net:net_dev_start_xmit",
                                               "xdp:xdp_redirect"};
  std::vector<StackHistogram> hists(CL_HIST_COUNT);
  for (int i = 0; i < CL_HIST_COUNT; ++i) {
    hists[static_cast<std::size_t>(i)].event = kEvents[i];
    hists[static_cast<std::size_t>(i)].key_name = key_name;
    hists[static_cast<std::size_t>(i)].has_len = i != CL_HIST_XDP_REDIRECT;
    hists[static_cast<std::size_t>(i)].source = "BPF tp_btf + bpf_get_stack";
    hists[static_cast<std::size_t>(i)].scope = scope.describe();
    hists[static_cast<std::size_t>(i)].dropped = dropped;
    hists[static_cast<std::size_t>(i)].sample_every = every;
  }
  for (const auto& [key, val] :
       read_hash<cl_hist_key, cl_hist_val>(bpf_map__fd(s.maps.stack_hist))) {
    if (key.event >= CL_HIST_COUNT) continue;
    HistEntry e;
    e.hitcount = val.hitcount;
    e.len = val.len;
    bool leading = true;
    for (std::uint64_t ip : stack_ips(key.stack)) {
      std::string frame = syms ? syms->format(ip) : fmt::format("{:#x}", ip);
      if (leading && is_tracing_frame(frame_function(frame))) continue;
      leading = false;
      e.frames.push_back(std::move(frame));
    }
    hists[key.event].entries.push_back(std::move(e));
  }
  for (StackHistogram& h : hists) h.sort();
  return hists;
}

CopySiteReport read_copy_sites(cross_check& s, const KernelSymbols* syms, int hz,
                               std::uint64_t total, std::uint64_t user, std::uint64_t lost,
                               const ScopeSpec& scope) {
  CopySiteReport r;
  r.sample_hz = hz;
  r.total_samples = total;
  r.user_samples = user;
  r.lost_stacks = lost;
  const bool scoped = !scope.pids.empty() || !scope.netns_inums.empty();
  r.scope = scoped ? "samples whose interrupted task is the experiment's (" + scope.describe() +
                         "; on veth the datapath's softirqs run in those tasks)"
                   : "every sample (unscoped run)";
  std::vector<SampledStack> all, in_scope;
  for (const auto& [stack, val] :
       read_hash<cl_stack, cl_sample_val>(bpf_map__fd(s.maps.sample_counts))) {
    SampledStack st;
    for (std::uint64_t ip : stack_ips(stack)) {
      auto sym = syms ? syms->resolve(ip) : std::nullopt;
      st.functions.push_back(sym ? sym->name : fmt::format("{:#x}", ip));
    }
    r.machine_kernel_samples += val.all;
    r.kernel_samples += val.scoped;
    if (val.scoped > 0) in_scope.push_back({st.functions, val.scoped});
    st.count = val.all;
    all.push_back(std::move(st));
  }
  r.sites = attribute_copy_sites(in_scope, r.kernel_samples);
  r.machine_sites = attribute_copy_sites(all, r.machine_kernel_samples);
  return r;
}

}  // namespace

CrossCheckResult CrossCheck::stop() {
  if (!impl_) throw Error("cross-check not running", "call start() first");
  std::unique_ptr<Impl> impl = std::move(impl_);
  // Detach first: the numbers are final from here on.
  impl->detach();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - impl->started).count();

  const KernelSymbols* sp = impl->syms ? &*impl->syms : nullptr;
  cross_check& s = *impl->skel;

  CrossCheckResult r;
  r.ledger = impl->read_ledger(opts_);
  r.ledger.duration_s = secs;
  for (LedgerLine& line : impl->kprobes && impl->kprobes->active()
                              ? impl->kprobes->lines()
                              : kprobe_lines_unavailable(impl->kprobe_reason))
    r.ledger.lines.push_back(std::move(line));

  const int ncpu = libbpf_num_possible_cpus();
  std::vector<cl_counter> percpu(static_cast<std::size_t>(std::max(ncpu, 1)));
  auto total = [&](cl_ledger_event ev) {
    std::uint64_t n = 0;
    std::uint32_t key = ev;
    if (bpf_map_lookup_elem(bpf_map__fd(s.maps.ledger), &key, percpu.data()) == 0)
      for (const cl_counter& c : percpu) n += c.count;
    return n;
  };
  const std::uint64_t stack_errs = total(CL_EV_STACK_ERR);
  if (opts_.histograms) r.histograms =
      read_histograms(s, impl->scope, sp, stack_errs, impl->hist_key, opts_.stack_every);
  if ((impl->sampler && impl->sampler->active()) || total(CL_EV_SAMPLES) > 0) {
    r.copy_sites = read_copy_sites(s, sp, opts_.sample_hz, total(CL_EV_SAMPLES),
                                   total(CL_EV_SAMPLES_USER), stack_errs, impl->scope);
  }
  r.backends = std::move(impl->backends);
  return r;  // impl (skeleton: programs and maps) is freed here
}

nlohmann::json to_json(const CrossCheckResult& r) {
  nlohmann::json hists = nlohmann::json::array();
  for (const StackHistogram& h : r.histograms) hists.push_back(to_json(h));
  nlohmann::json backends = nlohmann::json::array();
  for (const BackendStatus& b : r.backends)
    backends.push_back({{"name", b.name}, {"active", b.active}, {"detail", b.detail}});
  return {{"backends", std::move(backends)},
          {"ledger", to_json(r.ledger)},
          {"histograms", std::move(hists)},
          {"copy_sites", to_json(r.copy_sites)}};
}

std::string format_cross_check(const CrossCheckResult& r) {
  std::string out = "Cross-check backends:\n";
  for (const BackendStatus& b : r.backends)
    out += fmt::format("  [{}] {}: {}\n", b.active ? "on " : "off", b.name, b.detail);
  out += format_ledger(r.ledger);
  if (r.copy_sites.total_samples > 0) out += format_copy_sites(r.copy_sites);
  return out;
}

}  // namespace copylab::trace

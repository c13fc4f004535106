#include "evidence/kprobe_backend.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "common/error.hpp"
#include "evidence/bpf_handles.hpp"
#include "evidence/copy_kprobes_abi.h"
#include "evidence/kallsyms.hpp"
#include "evidence/kernel_text.hpp"

#include "copy_kprobes.skel.h"

namespace copylab::trace {
namespace {

struct SkelDeleter {
  void operator()(copy_kprobes* s) const noexcept { copy_kprobes__destroy(s); }
};

// A copy site: the BPF program that counts it, the functions it may be attached to (first one
// that attaches wins), and, when the copy function itself cannot be probed, the callers whose
// `call <function>` instructions carry the same arguments.
struct SiteDef {
  const char* site;
  std::vector<const char*> functions;
  std::vector<const char*> callers;
  const char* inlined_note;  // symbols this site would prefer but that kernels inline ("" = none)
};

const SiteDef kSites[] = {
    {"COPY #1 user -> kernel (_copy_from_iter)", {"_copy_from_iter"},
     {"ip_generic_getfrag", "skb_copy_datagram_from_iter"}, ""},
    {"COPY #4 kernel -> user (_copy_to_iter)", {"_copy_to_iter"},
     {"udp_recvmsg", "udpv6_recvmsg", "simple_copy_to_iter"}, ""},
    {"AF_XDP TX copy UMEM -> skb", {"skb_store_bits"}, {}, "xsk_build_skb"},
    {"AF_XDP RX copy xdp_buff -> UMEM", {"__xsk_rcv", "xsk_rcv"}, {}, "xsk_copy_xdp"},
    // The checksumming twins of COPY #1/#4, counted into the same lines (one of the two copies
    // a datagram): without TX checksum offload ip_generic_getfrag copies with
    // csum_and_copy_from_iter_full (net/core/skbuff.c from 6.8; an inline around
    // csum_and_copy_from_iter in lib/iov_iter.c before); a datagram whose checksum was not
    // verified is received through skb_copy_and_csum_datagram -> csum_and_copy_to_iter.
    // Same argument layout as the plain copies (buffer, bytes, ...).
    {"COPY #1 while checksumming (csum_and_copy_from_iter_full)",
     {"csum_and_copy_from_iter_full", "csum_and_copy_from_iter"}, {"ip_generic_getfrag"}, ""},
    {"COPY #4 while checksumming (csum_and_copy_to_iter)", {"csum_and_copy_to_iter"},
     {}, ""},
};
constexpr std::size_t kCopy1Site = 0, kCopy4Site = 1, kXskTxSite = 2, kXskRxSite = 3,
                      kCopy1CsumSite = 4, kCopy4CsumSite = 5;

// The site counting into the same lines as `site`, when there is one.
std::optional<std::size_t> twin_of(std::size_t site) {
  if (site == kCopy1Site) return kCopy1CsumSite;
  if (site == kCopy4Site) return kCopy4CsumSite;
  return std::nullopt;
}

struct LineDef {
  std::string_view id;
  cl_kp_line line;
  std::size_t site;
  const char* what;
};

const LineDef kLines[] = {
    {ledger_id::kKpCopy1, CL_KP_COPY1, kCopy1Site,
     "COPY #1 user buffer -> kernel, counted at the copy, inside send syscalls "
     "(sendto/sendmsg/sendmmsg) on AF_INET/AF_INET6 sockets"},
    {ledger_id::kKpCopy1Other, CL_KP_COPY1_OTHER, kCopy1Site,
     "_copy_from_iter calls of the experiment's tasks outside INET socket sends (netlink, pipes...)"},
    {ledger_id::kKpCopy4, CL_KP_COPY4, kCopy4Site,
     "COPY #4 kernel -> user buffer, counted at the copy, inside receive syscalls "
     "(recvfrom/recvmsg/recvmmsg) on AF_INET/AF_INET6 sockets"},
    {ledger_id::kKpCopy4Other, CL_KP_COPY4_OTHER, kCopy4Site,
     "_copy_to_iter calls of the experiment's tasks outside INET socket receives (netlink, getrandom...)"},
    {ledger_id::kKpXskTxCopy, CL_KP_XSK_TX, kXskTxSite,
     "AF_XDP copy-mode TX: UMEM frame -> skb (skb_store_bits on AF_XDP skbs), counted for the "
     "experiment's AF_XDP sockets"},
    {ledger_id::kKpXskRxCopy, CL_KP_XSK_RX, kXskRxSite,
     "AF_XDP copy-mode RX: xdp_buff -> UMEM frame (__xsk_rcv), counted for the experiment's AF_XDP "
     "sockets whichever task runs the receive softirq"},
};

bpf_program* site_program(copy_kprobes& s, std::size_t site) {
  switch (site) {
    case kCopy1Site:
    case kCopy1CsumSite: return s.progs.cl_kp_copy_from_iter;
    case kCopy4Site:
    case kCopy4CsumSite: return s.progs.cl_kp_copy_to_iter;
    case kXskTxSite: return s.progs.cl_kp_skb_store_bits;
    default: return s.progs.cl_kp_xsk_rcv;
  }
}

bpf_link* attach_kprobe(bpf_program* prog, const char* func, std::size_t offset, int* err) {
  LIBBPF_OPTS(bpf_kprobe_opts, opts, .offset = offset);
  bpf_link* link = bpf_program__attach_kprobe_opts(prog, func, &opts);
  *err = link ? 0 : errno;
  return link;
}

}  // namespace

struct KprobeBackend::Impl {
  std::unique_ptr<copy_kprobes, SkelDeleter> skel;
  std::vector<BpfLinkPtr> links;
  std::vector<KprobeSiteStatus> sites;
  std::string reason;

  void attach_site(std::size_t index, const KernelSymbols* syms);
  void attach_socket_follower();
};

// With a pid scope, the AF_XDP copies are attributed by socket (the receive copy runs in a softirq,
// often on ksoftirqd's time): sys_enter learns the sockets the scoped processes use. Without it the
// AF_XDP sites count only copies made on a scoped task's time, and their notes say so.
void KprobeBackend::Impl::attach_socket_follower() {
  if (bpf_link* link = bpf_program__attach(skel->progs.cl_kp_sys_enter)) {
    links.emplace_back(link);
    return;
  }
  const std::string why = fmt::format(
      "tp_btf/sys_enter refused ({}): with a pid scope only copies made on a scoped task's time "
      "count, so copies done by ksoftirqd are missed",
      errno_text(errno));
  for (std::size_t site : {kXskTxSite, kXskRxSite})
    if (site < sites.size()) sites[site].detail += (sites[site].detail.empty() ? "" : "; ") + why;
}

void KprobeBackend::Impl::attach_site(std::size_t index, const KernelSymbols* syms) {
  const SiteDef& def = kSites[index];
  KprobeSiteStatus st{def.site, false, "", "", ""};
  std::vector<std::string> tried;
  auto note = [&](std::string text) { tried.push_back(std::move(text)); };
  if (*def.inlined_note && syms && !syms->address_of(def.inlined_note))
    note(fmt::format("{} is inlined (not in kallsyms): not measurable by itself", def.inlined_note));
  bpf_program* prog = site_program(*skel, index);

  for (const char* fn : def.functions) {
    if (syms && !syms->address_of(fn)) {
      note(fmt::format("{}: not in kallsyms (inlined or absent)", fn));
      continue;
    }
    int err = 0;
    if (bpf_link* link = attach_kprobe(prog, fn, 0, &err)) {
      links.emplace_back(link);
      st.attached = true;
      st.where = fn;
      st.how = fmt::format("exact at the copy function (kprobe {})", fn);
      break;
    }
    note(fmt::format("kprobe {}: {}{}", fn, errno_text(err),
                     err == EINVAL ? " (notrace or blacklisted on this kernel)" : ""));
    // The copy function itself is refused: probe the `call` instructions that reach it.
    if (def.callers.empty()) continue;
    const auto target = syms ? syms->address_of(fn) : std::nullopt;
    if (!target) continue;
    std::vector<std::string> placed;
    for (const char* caller : def.callers) {
      const auto start = syms->address_of(caller);
      const auto sym = start ? syms->resolve(*start) : std::nullopt;
      if (!sym) {
        note(fmt::format("{}: not in kallsyms", caller));
        continue;
      }
      std::vector<std::uint32_t> offsets;
      try {
        const auto code = read_kernel_text(*start, sym->size);
        offsets = find_call_sites(code, *start, *target);
      } catch (const Error& e) {
        note(fmt::format("{}: code not readable ({})", caller, e.what()));
        continue;
      }
      if (offsets.empty()) note(fmt::format("{}: no call to {} (inlined elsewhere?)", caller, fn));
      for (std::uint32_t off : offsets) {
        int cerr = 0;
        if (bpf_link* link = attach_kprobe(prog, caller, off, &cerr)) {
          links.emplace_back(link);
          placed.push_back(fmt::format("{}+{:#x}", caller, off));
        } else {
          note(fmt::format("kprobe {}+{:#x}: {}", caller, off, errno_text(cerr)));
        }
      }
    }
    if (!placed.empty()) {
      st.attached = true;
      std::string list;
      for (const std::string& p : placed) list += (list.empty() ? "" : ", ") + p;
      st.where = fmt::format("{} (the calls to {}; only these callers' copies count)", list, fn);
      st.how = fmt::format("exact at the copy function (kprobe on the calls to {} in {}; {} "
                           "itself is not probe-able here)", fn, list, fn);
      break;
    }
  }
  for (const std::string& t : tried) st.detail += (st.detail.empty() ? "" : "; ") + t;
  sites.push_back(std::move(st));
}

KprobeBackend::KprobeBackend(const KprobeScope& scope) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.skel.reset(copy_kprobes__open());
  if (!im.skel) {
    im.reason = fmt::format("opening copy_kprobes.bpf.c: {}", errno_text(errno));
    return;
  }
  copy_kprobes& s = *im.skel;
  s.rodata->scope_pids = scope.pids;
  s.rodata->scope_netns = scope.netns;
  const long send_nrs[CL_KP_NSYSCALLS] = {SYS_sendto, SYS_sendmsg, SYS_sendmmsg};
  const long recv_nrs[CL_KP_NSYSCALLS] = {SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg};
  std::copy(std::begin(send_nrs), std::end(send_nrs), s.rodata->send_nrs);
  std::copy(std::begin(recv_nrs), std::end(recv_nrs), s.rodata->recv_nrs);
  const long xsk_nrs[CL_KP_NXSK_SYSCALLS] = {SYS_bind,     SYS_setsockopt, SYS_getsockopt, SYS_sendto,
                                             SYS_recvfrom, SYS_sendmsg,    SYS_recvmsg};
  std::copy(std::begin(xsk_nrs), std::end(xsk_nrs), s.rodata->xsk_nrs);
  // Only a pid scope needs to learn which AF_XDP sockets are the experiment's.
  bpf_program__set_autoload(s.progs.cl_kp_sys_enter, scope.pids);
  if ((scope.pid_set_fd >= 0 && bpf_map__reuse_fd(s.maps.scope_pid_set, scope.pid_set_fd) != 0) ||
      (scope.netns_set_fd >= 0 &&
       bpf_map__reuse_fd(s.maps.scope_netns_set, scope.netns_set_fd) != 0)) {
    im.reason = fmt::format("sharing the cross-check's scope maps: {}", errno_text(errno));
    return;
  }
  if (int err = copy_kprobes__load(&s); err != 0) {
    im.reason = fmt::format("loading the kprobe programs: {} (-vv shows the verifier log)",
                            errno_text(-err));
    return;
  }
  std::optional<KernelSymbols> syms;
  try {
    syms = KernelSymbols::load();
  } catch (const Error& e) {
    spdlog::debug("kprobe backend: no kallsyms ({}): call-site fallback off", e.one_line());
  }
  for (std::size_t i = 0; i < std::size(kSites); ++i) im.attach_site(i, syms ? &*syms : nullptr);
  if (scope.pids && !im.links.empty()) im.attach_socket_follower();
  if (im.links.empty()) {
    im.reason = "no copy site could be attached";
    for (const KprobeSiteStatus& st : im.sites) im.reason += fmt::format(" [{}: {}]", st.site, st.detail);
  }
}

KprobeBackend::~KprobeBackend() = default;

// Attached at start (detach() does not change it: lines() are read after detach()).
bool KprobeBackend::active() const noexcept {
  return std::any_of(impl_->sites.begin(), impl_->sites.end(),
                     [](const KprobeSiteStatus& st) { return st.attached; });
}
const std::string& KprobeBackend::reason() const noexcept { return impl_->reason; }
const std::vector<KprobeSiteStatus>& KprobeBackend::sites() const noexcept { return impl_->sites; }
void KprobeBackend::detach() noexcept { impl_->links.clear(); }

std::string KprobeBackend::describe() const {
  if (!active()) return "kprobe backend: unavailable (" + impl_->reason + ")";
  std::string out = "kprobe backend: exact counts at the copy functions:";
  for (const KprobeSiteStatus& st : impl_->sites) {
    // Attached sites keep their notes too: what was refused first, which symbols are inlined.
    out += st.attached ? fmt::format(" [{}: kprobe {}{}{}]", st.site, st.where,
                                     st.detail.empty() ? "" : "; ", st.detail)
                       : fmt::format(" [{}: not attached: {}]", st.site, st.detail);
  }
  return out;
}

std::vector<LedgerLine> KprobeBackend::lines() const {
  if (!active()) return kprobe_lines_unavailable(impl_->reason);
  copy_kprobes& s = *impl_->skel;
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  std::vector<cl_counter> percpu(static_cast<std::size_t>(ncpu));
  std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> lens(CL_KP_COUNT);
  {
    const int fd = bpf_map__fd(s.maps.kp_lens);
    cl_kp_len_key key{}, next{};
    const cl_kp_len_key* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
      std::uint64_t n = 0;
      if (bpf_map_lookup_elem(fd, &next, &n) == 0 && next.line < CL_KP_COUNT)
        lens[next.line].emplace_back(next.len, n);
      key = next;
      prev = &key;
    }
  }
  std::vector<LedgerLine> out;
  for (const LineDef& d : kLines) {
    const KprobeSiteStatus& st = impl_->sites[d.site];
    LedgerLine line;
    line.id = std::string(d.id);
    line.what = d.what;
    if (!st.attached) {
      line.tracepoint = kSites[d.site].functions.front();
      line.measured = Measured::kUnavailable;
      line.unavailable = "kprobe: site not attached (" + st.detail + ")";
      out.push_back(std::move(line));
      continue;
    }
    line.tracepoint = "kprobe " + st.where;
    line.measured = Measured::kExactCopyFunction;
    line.how = st.how;
    if (const auto twin = twin_of(d.site)) {
      const KprobeSiteStatus& tw = impl_->sites[*twin];
      if (tw.attached) {
        line.tracepoint += " + kprobe " + tw.where;
        line.how += fmt::format(" and its checksumming twin (kprobe {})", tw.where);
      } else {
        line.how += fmt::format("; the checksumming copy is not counted ({}: {})", tw.site, tw.detail);
      }
    }
    std::uint32_t key = d.line;
    if (bpf_map_lookup_elem(bpf_map__fd(s.maps.kp_ledger), &key, percpu.data()) == 0) {
      for (const cl_counter& c : percpu) {
        line.count += c.count;
        line.bytes += c.bytes;
      }
    }
    line.lens = std::move(lens[d.line]);
    std::sort(line.lens.begin(), line.lens.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<LedgerLine> kprobe_lines_unavailable(const std::string& reason) {
  std::vector<LedgerLine> out;
  for (const LineDef& d : kLines) {
    LedgerLine line;
    line.id = std::string(d.id);
    line.what = d.what;
    line.tracepoint = std::string("kprobe ") + kSites[d.site].functions.front();
    line.measured = Measured::kUnavailable;
    line.unavailable = "kprobe backend: unavailable (" + reason + ")";
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace copylab::trace

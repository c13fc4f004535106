#include "harness/compare_observer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <vector>

#include "common/error.hpp"
#include "common/privilege.hpp"
#include "kmod/backend/copyprobe_session.hpp"
#include "kmod/backend/kmod_availability.hpp"
#include "kmod/backend/kmod_verdicts.hpp"
#include "kmod/backend/probe_sites.hpp"
#include "evidence/capabilities.hpp"
#include "evidence/compare_checks.hpp"
#include "evidence/cross_check.hpp"
#include "evidence/scope.hpp"
#include "evidence/verdict.hpp"
#include "netns/netns_scope.hpp"
#include "xdp/device.hpp"

namespace copylab {
namespace {

// No cross-check attached: the report says so and why.
class DetachedObserver final : public CompareObserver {
 public:
  explicit DetachedObserver(std::string reason) : reason_(std::move(reason)) {}
  void before_traffic(pid_t, pid_t) override {}
  RunEvidence after_traffic() override { return {}; }
  ObserverStatus status() const override { return {false, "", reason_}; }
  CopyVerdicts summarize(const std::vector<RunRecord>&) override {
    CopyVerdicts v;
    v.not_drawn = "Copy verdicts: not measured (" + reason_ + ").\n";
    return v;
  }

 private:
  std::string reason_;
};

// The socket→socket, af_xdp→af_xdp (copy mode) and af_xdp_zc→af_xdp_zc runs of one phase that
// carry evidence (null when absent).
struct PairRuns {
  const RunRecord* sock = nullptr;
  const RunRecord* xsk = nullptr;
  const RunRecord* xsk_zc = nullptr;
};

PairRuns find_pair_runs(const std::vector<RunRecord>& runs, const std::string& phase) {
  PairRuns p;
  for (const RunRecord& r : runs) {
    if (r.phase.name != phase || !has_evidence(r.evidence) || r.pair.tx != r.pair.rx) continue;
    if (r.pair.tx == PathKind::kSocket) p.sock = &r;
    if (r.pair.tx == PathKind::kAfXdp) (r.pair.zero_copy ? p.xsk_zc : p.xsk) = &r;
  }
  return p;
}

// The dpdk->dpdk run of `phase` that carries evidence (null when absent).
const RunRecord* find_dpdk_run(const std::vector<RunRecord>& runs, const std::string& phase) {
  for (const RunRecord& r : runs) {
    if (r.phase.name == phase && has_evidence(r.evidence) && r.pair.tx == PathKind::kDpdk &&
        r.pair.rx == PathKind::kDpdk)
      return &r;
  }
  return nullptr;
}

// The DPDK table of the phase the verdicts were drawn from: its socket run against its
// dpdk->dpdk run, built by the same backend builder.
template <typename MakeTable>
void add_dpdk_table(CopyVerdicts& out, const std::vector<RunRecord>& runs, MakeTable&& table) {
  if (!out.table) return;
  const PairRuns p = find_pair_runs(runs, out.phase);
  const RunRecord* dpdk = find_dpdk_run(runs, out.phase);
  if (p.sock != nullptr && dpdk != nullptr) out.dpdk_table = table(*p.sock, *dpdk);
}

// The verdict table of one phase: socket vs AF_XDP copy mode, with zero-copy as a third column
// when both binds ran (or socket vs zero-copy when only it ran). `table(sock, xsk)` is the
// backend's builder; nullopt when a run lacks its evidence.
template <typename MakeTable>
std::optional<trace::VerdictTable> phase_table(const PairRuns& p, MakeTable&& table) {
  if (p.sock == nullptr) return std::nullopt;
  std::optional<trace::VerdictTable> copy_mode, zero_copy;
  if (p.xsk != nullptr) copy_mode = table(*p.sock, *p.xsk);
  if (p.xsk_zc != nullptr) zero_copy = table(*p.sock, *p.xsk_zc);
  if (copy_mode && zero_copy) trace::add_zero_copy_column(*copy_mode, *zero_copy);
  return copy_mode ? copy_mode : zero_copy;
}

// The receiving device's driver ("veth", "virtio_net"), for how the table names device DMA.
std::string driver_of(const TopologyConfig& topo) {
  const NetnsScope in(topo.ns_b);
  return query_device(topo.dev_b).driver;
}

// A count a verdict or check divides by: 0 when the tool did not report it.
std::uint64_t count_of(std::optional<long long> n) {
  return n && *n > 0 ? static_cast<std::uint64_t>(*n) : 0;
}
std::uint64_t sent_of(const RunRecord& r) { return count_of(r.counts.sender.sent); }
std::uint64_t received_of(const RunRecord& r) { return count_of(r.counts.receiver.received); }

// doctor's zero-copy sentence, probed on the experiment's own receiving device.
std::string zero_copy_note_for(const TopologyConfig& topo) {
  trace::ProbeOptions probe;
  probe.device = topo.dev_b;
  probe.netns = topo.ns_b;
  return trace::zero_copy_note(trace::probe_capabilities(probe));
}

CopyVerdicts drawn(trace::VerdictTable v, const std::string& phase, const TopologyConfig& topo) {
  trace::name_device_dma(v, driver_of(topo));
  CopyVerdicts out;
  out.table = std::move(v);
  out.phase = phase;
  return out;
}

CopyVerdicts not_drawn() {
  CopyVerdicts out;
  out.not_drawn =
      "Copy verdicts: need a socket->socket and an af_xdp->af_xdp run with evidence.\n";
  return out;
}

// The BPF tracepoint backend (evidence/): exact per-packet ledger lines scoped to the run's two
// namespaces and processes. What costs more than a counter per packet runs only in the paced
// runs, where it cannot lower a throughput being measured: cpu-clock copy-site sampling, payload
// address samples and the socket path's three marker events. With native XDP the XSK redirects
// come from veth's own per-queue counter rather than an event per packet.
class TraceObserver final : public CompareObserver {
 public:
  TraceObserver(const TopologyConfig& topo, XdpMode xdp_mode, std::optional<trace::CheckTier> tier)
      : topo_(topo), xdp_mode_(xdp_mode), tier_(tier) {
    scope_.netns_inums = {trace::named_netns_inode(topo.ns_a), trace::named_netns_inode(topo.ns_b)};
    scope_.follow_forks = false;  // copylab's tools do not fork: no fork/exit bookkeeping
  }

  void set_run(const PairSpec& pair, const std::string& phase) {
    paced_ = phase != "unpaced";
    socket_side_ = pair.tx == PathKind::kSocket || pair.rx == PathKind::kSocket;
  }

  void before_traffic(pid_t receiver, pid_t sender) override {
    const trace::CheckTier tier =
        tier_.value_or(paced_ ? trace::CheckTier::kPaced : trace::CheckTier::kLedger);
    trace::CrossCheckOptions o = trace::cross_check_options(tier);
    if (!socket_side_) {
      // AF_XDP on both ends: no net_dev_queue on its TX path, and the payload samples serve the
      // socket path's hand-over evidence; the markers would only add events to the packet's path.
      o.path_markers = false;
      o.payload_samples = false;
    }
    if (xdp_mode_ == XdpMode::kNative)
      o.redirect_counter_device = trace::CounterDevice{topo_.ns_b, topo_.dev_b};
    else
      o.redirect_from_generic_frees = true;
    trace::ScopeSpec s = scope_;
    s.pids = {receiver, sender};
    receiver_ = receiver;
    sender_ = sender;
    check_ = std::make_unique<trace::CrossCheck>(o);
    check_->start(s);
  }

  RunEvidence after_traffic() override {
    if (!check_) return {};
    return stop_trace_run(check_, sender_, receiver_);
  }

  ObserverStatus status() const override {
    return {true,
             "BPF tracepoints (exact per-event counts, scoped to the experiment's namespaces and "
             "processes; XSK redirects from veth's own counters with native XDP and from the skb frees that follow them with generic XDP); cpu-clock "
             "stack sampling, payload samples and the socket path's markers in the paced runs "
             "only; stack histograms: copylab hist",
            ""};
  }

  CopyVerdicts summarize(const std::vector<RunRecord>& runs) override {
    // Verdicts from the socket→socket and af_xdp→af_xdp runs of the same phase (paced first:
    // it carries the copy-site samples).
    const std::string note = zero_copy_note_for(topo_);
    const auto table = [&](const RunRecord& sock,
                           const RunRecord& xsk) -> std::optional<trace::VerdictTable> {
      const auto* so = std::get_if<TraceRunEvidence>(&sock.evidence);
      const auto* xo = std::get_if<TraceRunEvidence>(&xsk.evidence);
      if (so == nullptr || xo == nullptr) return std::nullopt;
      const ToolMode& xmode = xsk.counts.receiver.mode;
      const trace::PathEvidence s{"socket", sent_of(sock), received_of(sock), &so->result,
                                  std::nullopt, false};
      const trace::PathEvidence x{"af_xdp", sent_of(xsk), received_of(xsk), &xo->result,
                                  xmode.xdp_mode(), xmode.zero_copy()};
      return trace::make_verdicts(s, x, note);
    };
    for (const char* phase : {"paced", "unpaced"}) {
      if (auto t = phase_table(find_pair_runs(runs, phase), table)) {
        CopyVerdicts out = drawn(*t, phase, topo_);
        add_dpdk_table(out, runs, table);
        if (out.dpdk_table) trace::name_device_dma(*out.dpdk_table, driver_of(topo_));
        return out;
      }
    }
    return not_drawn();
  }

 private:
  TopologyConfig topo_;
  trace::ScopeSpec scope_;
  XdpMode xdp_mode_;
  std::optional<trace::CheckTier> tier_;
  std::unique_ptr<trace::CrossCheck> check_;
  pid_t receiver_ = 0, sender_ = 0;
  bool paced_ = true;
  bool socket_side_ = true;
};

// A check row (evidence/compare_checks) whose independent counter is the module: expected vs
// observed, or unavailable when the module could not count it.
CheckRow module_check(const std::string& name, std::uint64_t expected,
                      std::optional<std::uint64_t> observed, const std::string& note) {
  const auto as_ll = [](std::uint64_t v) { return static_cast<long long>(v); };
  return {name, as_ll(expected),
          observed ? std::optional<long long>(as_ll(*observed)) : std::nullopt,
          "kprobe module copyprobe", note};
}

// A module count with no expected value here (shown, not checked): what it should be depends on
// a device feature the check cannot read.
CheckRow module_count(const std::string& name, std::optional<std::uint64_t> observed,
                      const std::string& note) {
  return {name, std::nullopt,
          observed ? std::optional<long long>(static_cast<long long>(*observed)) : std::nullopt,
          "kprobe module copyprobe", note};
}

// The tools whose system calls the module's task-scoped sites count (copylab's traffic tools).
const std::vector<std::string> kToolComms{"sock_sender", "sock_receiver", "xdp_sender",
                                          "xdp_receiver", "dpdk_sender", "dpdk_receiver"};

kmod::KmodAvailability kmod_availability_for(const CompareOptions& opts) {
  trace::ProbeOptions probe;
  probe.devices = false;
  return kmod::kmod_availability(trace::probe_capabilities(probe), opts.kmod_module);
}

// The kprobe module backend (kmod/): copyprobe.ko loaded for the whole compare, its exact
// per-call counters reset before each run's traffic and read after it. Task-scoped sites
// (COPY1/COPY2/COPY4, XSK_TX/XSK_XMIT) count copylab's tools by name; the softirq sites (XSK_RX,
// XDP_COW, XDP_EXPAND) count every task, so a run's numbers are its own only while no other
// AF_XDP/XDP traffic runs on the machine.
class KmodObserver final : public CompareObserver {
 public:
  KmodObserver(const CompareOptions& opts, const TopologyConfig& topo,
               const kmod::KmodAvailability& availability)
      : topo_(topo),
        veth_(driver_of(topo) == "veth"),
        payload_(opts.payload_size),
        session_(session_options(opts, veth_), availability) {}

  void before_traffic(pid_t, pid_t) override { session_.reset(); }

  RunEvidence after_traffic() override {
    return ModuleRunEvidence{session_.module_path(), session_.params(), session_.read(), {}};
  }

  void complete_run(RunRecord& run) const override {
    auto* ev = std::get_if<ModuleRunEvidence>(&run.evidence);
    if (ev == nullptr) return;
    const kmod::CopyprobeCounters& c = ev->counters;
    const std::uint64_t sent = sent_of(run);
    const std::uint64_t received = received_of(run);
    ev->lines = kmod::evidence_lines(c, payload_, sent, received);
    auto& checks = run.checks;
    const auto hits = [&](const char* site) {
      return kmod::payload_hits(c, *kmod::find_probe_site(site), payload_);
    };
    const std::string L = std::to_string(payload_) + " B";
    const std::string F = std::to_string(payload_ + 42) + " B";
    // COPY #1/#4: the plain copy plus, where the module has it, the checksumming copy the kernel
    // uses instead without checksum offload (e.g. virtio_net behind a qemu hub).
    const kmod::UserCopyHits copy1 = kmod::user_copy_hits(c, kmod::kCopy1Sites, payload_);
    const kmod::UserCopyHits copy4 = kmod::user_copy_hits(c, kmod::kCopy4Sites, payload_);
    const auto at = [](const kmod::UserCopyHits& h, const char* plain) {
      return h.csum_counted ? h.symbols : std::string(plain);
    };
    if (run.pair.tx == PathKind::kSocket) {
      if (veth_ || copy1.csum_counted) {
        checks.push_back(module_check("COPY1 " + at(copy1, "_copy_from_iter") + " calls of " + L +
                                          " = datagrams sent",
                                      sent, copy1.hits,
                                      "one user->kernel copy per datagram (udp_sendmsg)"));
      } else {
        checks.push_back(module_count("COPY1 _copy_from_iter calls of " + L + " (not checked off veth)",
                                      copy1.hits,
                                      "without checksum offload the copy is "
                                      "csum_and_copy_from_iter_full, which this module does not probe"));
      }
      checks.push_back(module_check("COPY2 __dev_queue_xmit skbs of " + F + " = datagrams sent",
                                    sent, hits("COPY2"),
                                    "payload + 42 header bytes handed to veth"));
    } else {
      const bool zc = run.counts.sender.mode.zero_copy();
      checks.push_back(
          module_check("COPY1 " + at(copy1, "_copy_from_iter") + " calls of " + L +
                           " = 0 (AF_XDP sends from UMEM)",
                       0, copy1.hits, "no user->kernel copy of the payload"));
      // A driver with IFF_TX_SKB_NO_LINEAR (virtio_net) has copy mode point the skb at the UMEM
      // page (net/xdp/xsk.c, xsk_build_skb_zerocopy): no skb_store_bits; checked on veth only.
      if (zc || veth_) {
        checks.push_back(module_check("XSK_TX skb_store_bits copies of " + F + " = frames sent" +
                                          (zc ? " (0: zero-copy)" : " (copy mode)"),
                                      zc ? 0 : sent, hits("XSK_TX"),
                                      "UMEM -> skb in __xsk_generic_xmit"));
      } else {
        checks.push_back(module_count("XSK_TX skb_store_bits copies of " + F + " (not checked off veth)",
                                      hits("XSK_TX"),
                                      "0 with IFF_TX_SKB_NO_LINEAR drivers: the skb points at the "
                                      "UMEM page"));
      }
      // Zero-copy TX builds no skb: the driver takes the descriptors from the TX ring itself.
      checks.push_back(module_check("XSK_XMIT __dev_direct_xmit skbs of " + F + " = frames sent" +
                                        (zc ? " (0: zero-copy)" : ""),
                                    zc ? 0 : sent, hits("XSK_XMIT"),
                                    "AF_XDP copy mode hands its skbs to the device past the qdisc"));
    }
    if (run.pair.rx == PathKind::kSocket) {
      checks.push_back(module_check("COPY4 " + at(copy4, "_copy_to_iter") + " calls of " + L +
                                        " = datagrams received",
                                    received, copy4.hits,
                                    "one kernel->user copy per datagram (udp_recvmsg)"));
    } else {
      const bool zc = run.counts.receiver.mode.zero_copy();
      // The module counts __xsk_rcv at its entry, so every frame redirected to the XSK, kept or
      // not (net/xdp/xsk.c, __xsk_rcv and __xsk_rcv_zc, 6.1 to 6.18): with no free UMEM frame
      // (fill ring empty) it counts rx_dropped and returns before the copy; otherwise it copies
      // the frame into the UMEM, and only then finds the RX ring full, counts rx_queue_full
      // (XDP_STATISTICS rx_ring_full; xsk_getsockopt folds it into rx_dropped only for the v1
      // struct, which the receiver does not use) and frees the copy. So calls = received +
      // rx_dropped + rx_ring_full, of which received + rx_ring_full were copied.
      const auto& xs = run.counts.receiver.xdp_statistics;
      const std::uint64_t dropped = xs ? count_of(xs->rx_dropped) : 0;
      const std::uint64_t ring_full = xs ? count_of(xs->rx_ring_full) : 0;
      checks.push_back(
          module_check("COPY4 " + at(copy4, "_copy_to_iter") + " calls of " + L +
                           " = 0 (AF_XDP reads UMEM)",
                       0, copy4.hits, "no kernel->user copy of the payload"));
      // A NIC that receives by interrupt can run __xsk_rcv inside another site's handler (the
      // sender's, on the same CPU); kprobes then skip the nested hit and count it in the site's
      // nmissed (kernel/kprobes.c, kprobes_inc_nmissed_count), one per skipped call, before any
      // length is seen. So the check adds the misses: calls = handled of the frame's length +
      // missed. veth has no receive interrupt, so there nmissed must be 0 like every site's.
      const kmod::SiteCounters* rx_site = c.site("XSK_RX");
      const std::uint64_t rx_missed = !veth_ && rx_site != nullptr ? rx_site->nmissed : 0;
      const auto rx_calls = hits("XSK_RX");
      checks.push_back(module_check(
          "XSK_RX __xsk_rcv calls of " + F + (veth_ ? "" : " (+ kprobe misses)") +
              " = received + XSK rx_dropped + rx_ring_full" +
              (zc ? " (0: zero-copy)" : " (copy mode)"),
          zc ? 0 : received + dropped + ring_full,
          rx_calls ? std::optional<std::uint64_t>(*rx_calls + rx_missed) : std::nullopt,
          "every frame redirected to the XSK; xdp_buff -> UMEM copied for received + rx_ring_full "
          "(a full RX ring is found after the copy), not for rx_dropped (no UMEM frame)" +
              (rx_missed != 0 ? ", " + std::to_string(rx_missed) +
                                    " of them missed by kprobes (nested in another site's handler)"
                              : std::string())));
    }
    std::uint64_t missed = 0;
    for (const auto& s : c.sites) {
      if (!veth_ && s.site == "XSK_RX") continue;  // added to the XSK_RX check above
      missed += s.nmissed;
    }
    checks.push_back(module_check(veth_ ? "kprobe nmissed = 0 at every site"
                                        : "kprobe nmissed = 0 at every site but XSK_RX",
                                  0, missed,
                                  "a missed kprobe hit would make the counts above inexact"));
  }

  ObserverStatus status() const override {
    return {true,
             "kprobe module copyprobe (" + session_.module_path() +
                 "): exact per-call counts at the copy functions (_copy_from_iter, _copy_to_iter, "
                 "skb_store_bits, __xsk_rcv, ...); task sites counted for copylab's tools by name "
                 "(" +
                 session_.params() +
                 "), softirq sites for every task; syscalls per "
                 "packet are counted by the BPF backend only",
            ""};
  }

  CopyVerdicts summarize(const std::vector<RunRecord>& runs) override {
    std::string text = "Copy evidence per run (kprobe module copyprobe, exact per-call counts):\n";
    for (const RunRecord& r : runs) {
      const auto* ev = std::get_if<ModuleRunEvidence>(&r.evidence);
      if (ev == nullptr || ev->lines.empty()) continue;
      text += fmt::format("  {} {}:\n", r.pair.label(), r.phase.name);
      for (const auto& l : ev->lines) text += "    " + l + "\n";
    }
    CopyVerdicts out = not_drawn();
    const std::string note = zero_copy_note_for(topo_);
    const auto table = [&](const RunRecord& sock,
                           const RunRecord& xsk) -> std::optional<trace::VerdictTable> {
      const auto* sc = std::get_if<ModuleRunEvidence>(&sock.evidence);
      const auto* xc = std::get_if<ModuleRunEvidence>(&xsk.evidence);
      if (sc == nullptr || xc == nullptr) return std::nullopt;
      const ToolMode& xmode = xsk.counts.receiver.mode;
      const kmod::KmodPathRun s{sent_of(sock), received_of(sock), &sc->counters, std::nullopt,
                                false};
      const kmod::KmodPathRun x{sent_of(xsk), received_of(xsk), &xc->counters, xmode.xdp_mode(),
                                xmode.zero_copy()};
      return kmod::make_kmod_verdicts(s, x, payload_, note);
    };
    for (const char* phase : {"paced", "unpaced"}) {
      if (auto t = phase_table(find_pair_runs(runs, phase), table)) {
        out = drawn(*t, phase, topo_);
        add_dpdk_table(out, runs, table);
        if (out.dpdk_table) trace::name_device_dma(*out.dpdk_table, driver_of(topo_));
        break;
      }
    }
    out.preamble = text;
    return out;
  }

 private:
  static kmod::SessionOptions session_options(const CompareOptions& o, bool veth) {
    kmod::SessionOptions s;
    s.prebuilt_module = o.kmod_module;
    s.comms = kToolComms;
    // The experiment's lengths at every site: always counted exactly; printed to dmesg on veth
    // only. On a NIC that receives by interrupt, a receive landing while a transmit-site handler
    // prints runs __xsk_rcv's probe nested in it, and kprobes count that hit as nmissed
    // (kernel/kprobes.c, kprobes_inc_nmissed_count): the counts would stop being exact. veth has
    // no receive interrupt: its receive is raised by the sender's transmit and runs when that
    // path re-enables softirqs, after the handlers have returned.
    s.watch = {o.payload_size, o.payload_size + 28, o.payload_size + 42};
    s.burst = veth ? 10 : 0;
    s.print_watched = veth;
    return s;
  }

  TopologyConfig topo_;
  bool veth_;  // the checks' expected counts are veth's; other drivers get counts only
  std::uint64_t payload_;
  kmod::CopyprobeSession session_;
};

[[noreturn]] void throw_kmod_unavailable(const kmod::KmodAvailability& a) {
  throw Error("--backend kmod unavailable: " + a.reason, a.fix, kExitUnsupported);
}

}  // namespace

void set_observer_run(CompareObserver& observer, const PairSpec& pair, const std::string& phase) {
  if (auto* t = dynamic_cast<TraceObserver*>(&observer)) t->set_run(pair, phase);
}

namespace {
void validate_backend_options(const CompareOptions& opts) {
  if (opts.backend != "auto" && opts.backend != "bpf" && opts.backend != "kmod" &&
      opts.backend != "none") {
    throw Error("--backend " + opts.backend + " is not one of auto, bpf, kmod, none",
                "pick one (auto: what this kernel allows)", kExitUsage);
  }
  if (!opts.kmod_module.empty() && opts.backend != "kmod") {
    throw Error("--kmod-module is only used with --backend kmod", "add --backend kmod", kExitUsage);
  }
}
}  // namespace

void check_compare_backend(const CompareOptions& opts) {
  validate_backend_options(opts);
  if (opts.backend == "kmod") {
    const kmod::KmodAvailability a = kmod_availability_for(opts);
    if (!a.available) throw_kmod_unavailable(a);
  }
}

std::unique_ptr<CompareObserver> make_compare_observer(const CompareOptions& opts,
                                                       const TopologyConfig& topo) {
  validate_backend_options(opts);
  if (opts.backend == "none") return std::make_unique<DetachedObserver>("--backend none");
  if (opts.backend == "kmod") {
    const kmod::KmodAvailability a = kmod_availability_for(opts);
    if (!a.available) throw_kmod_unavailable(a);
    return std::make_unique<KmodObserver>(opts, topo, a);
  }
  if (!has_capability(Privilege::kBpf) || !has_capability(Privilege::kPerfmon)) {
    if (opts.backend == "bpf") require_capability(Privilege::kBpf, "load the cross-check");
    return std::make_unique<DetachedObserver>(
        "no CAP_BPF/CAP_PERFMON to load BPF tracing programs");
  }
  return make_trace_observer(topo, opts.xdp_mode, std::nullopt);
}

std::unique_ptr<CompareObserver> make_trace_observer(const TopologyConfig& topo, XdpMode xdp_mode,
                                                     std::optional<trace::CheckTier> tier) {
  return std::make_unique<TraceObserver>(topo, xdp_mode, tier);
}

}  // namespace copylab

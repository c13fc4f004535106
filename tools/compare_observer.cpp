#include "tools/compare_observer.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "common/error.hpp"
#include "common/privilege.hpp"
#include "trace/capabilities.hpp"
#include "trace/cross_check.hpp"
#include "trace/scope.hpp"
#include "trace/verdict.hpp"

namespace copylab {
namespace {

// No cross-check attached: the report says so and why.
class DetachedObserver final : public CompareObserver {
 public:
  explicit DetachedObserver(std::string reason) : reason_(std::move(reason)) {}
  void before_traffic(pid_t, pid_t) override {}
  nlohmann::json after_traffic() override { return nullptr; }
  nlohmann::json status() const override { return {{"attached", false}, {"reason", reason_}}; }
  nlohmann::json summarize(const nlohmann::json&) override {
    return {{"rows", nlohmann::json::array()},
            {"text", "Copy verdicts: not measured (" + reason_ + ").\n"}};
  }

 private:
  std::string reason_;
};

nlohmann::json syscalls_of(const trace::CopyLedger& ledger, pid_t tgid) {
  std::uint64_t total = 0;
  nlohmann::json by_name = nlohmann::json::object();
  for (const auto& s : ledger.syscalls) {
    if (s.tgid != tgid) continue;
    total += s.count;
    by_name[s.name] = by_name.value(s.name, std::uint64_t{0}) + s.count;
  }
  return {{"pid", tgid}, {"total", total}, {"by_name", by_name}};
}

// The BPF tracepoint backend (trace/): exact per-packet ledger lines scoped to the run's two
// namespaces and processes; copy-site sampling in every run but the unpaced ones, where the
// per-sample cost would lower the throughput being measured.
class TraceObserver final : public CompareObserver {
 public:
  explicit TraceObserver(const TopologyConfig& topo) : topo_(topo) {
    scope_.netns_inums = {trace::named_netns_inode(topo.ns_a), trace::named_netns_inode(topo.ns_b)};
  }

  void set_phase(const std::string& phase) { sampling_ = phase != "unpaced"; }

  void before_traffic(pid_t receiver, pid_t sender) override {
    trace::CrossCheckOptions o;
    o.histograms = false;  // per-packet stack walks: `copylab hist` shows the stacks
    o.sampling = sampling_;
    o.payload_samples = true;
    trace::ScopeSpec s = scope_;
    s.pids = {receiver, sender};
    receiver_ = receiver;
    sender_ = sender;
    check_ = std::make_unique<trace::CrossCheck>(o);
    check_->start(s);
  }

  nlohmann::json after_traffic() override {
    if (!check_) return nullptr;
    const trace::CrossCheckResult r = check_->stop();
    check_.reset();
    nlohmann::json ev = trace::to_json(r);
    ev["syscalls"] = {{"sender", syscalls_of(r.ledger, sender_)},
                      {"receiver", syscalls_of(r.ledger, receiver_)}};
    ev["text"] = trace::format_cross_check(r);
    return ev;
  }

  nlohmann::json status() const override {
    return {{"attached", true},
            {"backend",
             "BPF tracepoints (exact per-event counts, scoped to the experiment's namespaces and "
             "processes) and cpu-clock stack sampling in the paced runs; stack histograms: "
             "copylab hist"}};
  }

  nlohmann::json summarize(const nlohmann::json& runs) override {
    // Verdicts from the socket→socket and af_xdp→af_xdp runs of the same phase (paced first:
    // it carries the copy-site samples).
    for (const char* phase : {"paced", "unpaced"}) {
      const nlohmann::json* sock = nullptr;
      const nlohmann::json* xsk = nullptr;
      for (const auto& r : runs) {
        if (r.at("phase") != phase || r.at("copy_evidence").is_null()) continue;
        if (r.at("pair") == "socket→socket") sock = &r;
        if (r.at("pair") == "af_xdp→af_xdp") xsk = &r;
      }
      if (sock == nullptr || xsk == nullptr) continue;
      const auto so = trace::cross_check_result_from_json(sock->at("copy_evidence"));
      const auto xo = trace::cross_check_result_from_json(xsk->at("copy_evidence"));
      const auto& xmode = xsk->at("receiver").value("mode", nlohmann::json::object());
      const trace::PathEvidence s{"socket", sock->at("/sender/result/sent"_json_pointer),
                                  sock->at("/receiver/result/received"_json_pointer), &so, "",
                                  false};
      const trace::PathEvidence x{"af_xdp", xsk->at("/sender/result/sent"_json_pointer),
                                  xsk->at("/receiver/result/received"_json_pointer), &xo,
                                  xmode.value("xdp_attach", ""),
                                  xmode.value("bind", "") == "zero-copy"};
      trace::ProbeOptions probe;  // zero-copy probed on the experiment's own receiving device
      probe.device = topo_.dev_b;
      probe.netns = topo_.ns_b;
      const auto v = trace::make_verdicts(s, x, trace::zero_copy_note(trace::probe_capabilities(probe)));
      nlohmann::json out = trace::to_json(v);
      out["phase"] = phase;
      out["text"] = "Copy verdicts (" + std::string(phase) + " runs):\n" + trace::format_verdicts(v);
      return out;
    }
    return {{"rows", nlohmann::json::array()},
            {"text", "Copy verdicts: need a socket→socket and an af_xdp→af_xdp run with "
                     "evidence.\n"}};
  }

 private:
  TopologyConfig topo_;
  trace::ScopeSpec scope_;
  std::unique_ptr<trace::CrossCheck> check_;
  pid_t receiver_ = 0, sender_ = 0;
  bool sampling_ = true;
};

}  // namespace

void set_observer_phase(CompareObserver& observer, const std::string& phase) {
  if (auto* t = dynamic_cast<TraceObserver*>(&observer)) t->set_phase(phase);
}

std::unique_ptr<CompareObserver> make_compare_observer(const CompareOptions& opts,
                                                       const TopologyConfig& topo) {
  if (opts.backend == "none") return std::make_unique<DetachedObserver>("--backend none");
  if (opts.backend != "auto" && opts.backend != "bpf") {
    throw Error("--backend " + opts.backend + " is not one of auto, bpf, none",
                "kprobe modules run in the kernel lab (copylab lab); here use auto", kExitUsage);
  }
  if (!has_capability(Privilege::kBpf) || !has_capability(Privilege::kPerfmon)) {
    if (opts.backend == "bpf") require_capability(Privilege::kBpf, "load the cross-check");
    return std::make_unique<DetachedObserver>("no CAP_BPF/CAP_PERFMON to load BPF tracing programs");
  }
  return std::make_unique<TraceObserver>(topo);
}

}  // namespace copylab

#include "latency/latency_split.hpp"

namespace copylab {

void KernelRxSplit::record(std::uint64_t send_raw, std::int64_t kernel_rx_raw,
                           std::uint64_t user_raw, std::int64_t u) {
  const auto send = static_cast<std::int64_t>(send_raw);
  const auto user = static_cast<std::int64_t>(user_raw);
  if (kernel_rx_raw < send - u || kernel_rx_raw > user + u || user < send) {
    ++outside_bracket;
    return;
  }
  // Within the uncertainty a part can come out slightly negative: it is 0 as far as we know.
  const std::int64_t k = kernel_rx_raw - send;
  const std::int64_t f = user - kernel_rx_raw;
  to_kernel.record(static_cast<std::uint64_t>(k > 0 ? k : 0));
  from_kernel.record(static_cast<std::uint64_t>(f > 0 ? f : 0));
  total.record(static_cast<std::uint64_t>(user - send));
}

KernelRxSplitter::KernelRxSplitter(Datapath& dp, bool wanted, KernelRxSplit& out) : out_(out) {
  if (!wanted) {
    out_.not_measured = "kernel RX timestamps off (--no-rx-timestamps)";
    return;
  }
  out_.source = dp.enable_rx_timestamps();
  if (!out_.source.enabled) {
    out_.not_measured = out_.source.why_not;
    return;
  }
  out_.measured = true;
  conv_.emplace(out_.source.clock, out_.source.clock_name);
}

void KernelRxSplitter::record(std::uint64_t send_raw, const RxMeta& meta, std::uint64_t user_raw) {
  if (!conv_) return;
  if (!meta.has_kernel_rx()) {
    ++out_.missing;
    return;
  }
  out_.record(send_raw, conv_->to_raw(meta.kernel_rx_ns), user_raw, conv_->uncertainty_ns());
}

void KernelRxSplitter::finish() {
  if (!conv_) return;
  conv_->refresh();  // one last measurement: the drift over the whole run enters the bound
  out_.uncertainty_ns = conv_->uncertainty_ns();
  out_.conversion = conv_->to_json();
}

SplitStats summarize(const KernelRxSplit& s) {
  SplitStats o;
  o.measured = s.measured;
  o.not_measured = s.not_measured;
  o.to_kernel = summarize(s.to_kernel);
  o.from_kernel = summarize(s.from_kernel);
  o.total = summarize(s.total);
  o.samples = s.total.count();
  o.missing = s.missing;
  o.outside_bracket = s.outside_bracket;
  o.uncertainty_ns = s.uncertainty_ns;
  o.conversion = s.conversion;
  return o;
}

nlohmann::json to_json(const SplitStats& s) {
  if (!s.measured) return {{"measured", false}, {"not_measured", s.not_measured}};
  return {{"measured", true},
          {"samples", s.samples},
          {"missing_timestamp", s.missing},
          {"outside_bracket", s.outside_bracket},
          {"uncertainty_ns", s.uncertainty_ns},
          {"to_kernel_rx", to_json(s.to_kernel)},
          {"kernel_rx_to_user", to_json(s.from_kernel)},
          {"total", to_json(s.total)},
          {"conversion", s.conversion}};
}

void SplitSummary::add_run(const KernelRxSplit& run) {
  if (!run.measured) {
    if (!measured && not_measured.empty()) not_measured = run.not_measured;
    return;
  }
  if (!measured) {
    measured = true;
    not_measured.clear();
    clock = run.source.clock_name;
    where = run.source.where;
    source = run.source.source;
  }
  to_kernel_all.merge(run.to_kernel);
  from_kernel_all.merge(run.from_kernel);
  total_all.merge(run.total);
  samples += run.total.count();
  missing += run.missing;
  outside_bracket += run.outside_bracket;
  if (run.uncertainty_ns > max_uncertainty_ns) max_uncertainty_ns = run.uncertainty_ns;
}

void SplitSummary::finish(const std::vector<SplitStats>& runs) {
  std::vector<LatencyStats> k, f, t;
  for (const auto& r : runs) {
    if (!r.measured) continue;
    k.push_back(r.to_kernel);
    f.push_back(r.from_kernel);
    t.push_back(r.total);
  }
  to_kernel = summarize_runs(k);
  from_kernel = summarize_runs(f);
  total = summarize_runs(t);
}

nlohmann::json to_json(const SplitSummary& s) {
  if (!s.measured) {
    return {{"measured", false},
            {"not_measured", s.not_measured.empty() ? "no run completed" : s.not_measured}};
  }
  return {{"measured", true},
          {"clock", s.clock},
          {"where", s.where},
          {"source", s.source},
          {"samples", s.samples},
          {"missing_timestamp", s.missing},
          {"outside_bracket", s.outside_bracket},
          {"uncertainty_ns", s.max_uncertainty_ns},
          {"to_kernel_rx", to_json(s.to_kernel)},
          {"kernel_rx_to_user", to_json(s.from_kernel)},
          {"total", to_json(s.total)},
          {"to_kernel_rx_merged", to_json(summarize(s.to_kernel_all))},
          {"kernel_rx_to_user_merged", to_json(summarize(s.from_kernel_all))},
          {"total_merged", to_json(summarize(s.total_all))}};
}

}  // namespace copylab

#include "harness/compare_caveats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "evidence/loss_accounting.hpp"

namespace copylab {

std::optional<Pacing> pacing_of(double target_pps, std::optional<double> achieved_pps) {
  if (target_pps <= 0 || !achieved_pps) return std::nullopt;
  Pacing p;
  p.target_pps = target_pps;
  p.achieved_pps = *achieved_pps;
  p.short_by_pct = p.achieved_pps < target_pps ? (1 - p.achieved_pps / target_pps) * 100 : 0;
  p.missed = p.short_by_pct > kPacingTolerance * 100;
  return p;
}

nlohmann::json to_json(const std::optional<Pacing>& p) {
  if (!p) return nullptr;
  return {{"target_pps", p->target_pps},
          {"achieved_pps", p->achieved_pps},
          {"short_by_pct", p->short_by_pct},
          {"missed", p->missed}};
}

int failed_checks(const RunRecord& run) {
  int failed = 0;
  for (const CheckRow& c : run.checks) failed += c.ok() == false ? 1 : 0;
  return failed;
}

int failed_checks(const std::vector<RunRecord>& runs) {
  int failed = 0;
  for (const RunRecord& r : runs) failed += failed_checks(r);
  return failed;
}

void flag_verdicts(CopyVerdicts& copies, const std::vector<RunRecord>& runs) {
  if (!copies.table) return;  // no verdicts drawn
  long long lost = 0;
  int failed = 0;
  for (const RunRecord& r : runs) {
    const bool verdict_source = r.pair.tx == r.pair.rx &&
                                (r.pair.tx == PathKind::kSocket || r.pair.tx == PathKind::kAfXdp);
    if (r.phase.name != copies.phase || !verdict_source) continue;
    if (r.loss) lost += std::max(0LL, r.loss->lost);
    failed += failed_checks(r);
  }
  if (lost == 0 && failed == 0) return;
  std::string what;
  if (lost != 0) what = with_commas(lost) + " lost frames";
  if (failed != 0) {
    what += (what.empty() ? "" : " and ") + fmt::format("{} failed check{}", failed,
                                                         failed == 1 ? "" : "s");
  }
  copies.caveat = VerdictCaveat{lost, failed, "from a run with " + what};
}

}  // namespace copylab

#include "harness/compare_caveats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "evidence/loss_accounting.hpp"

namespace copylab {

nlohmann::json pacing_of(double target_pps, std::optional<double> achieved_pps) {
  if (target_pps <= 0 || !achieved_pps) return nullptr;
  const double achieved = *achieved_pps;
  const double short_by = achieved < target_pps ? (1 - achieved / target_pps) * 100 : 0;
  return {{"target_pps", target_pps},
          {"achieved_pps", achieved},
          {"short_by_pct", short_by},
          {"missed", short_by > kPacingTolerance * 100}};
}

int failed_checks(const nlohmann::json& run) {
  int failed = 0;
  for (const auto& c : run.value("checks", nlohmann::json::array())) {
    failed += c.value("ok", nlohmann::json()) == false ? 1 : 0;
  }
  return failed;
}

int failed_checks_all(const nlohmann::json& runs) {
  int failed = 0;
  for (const auto& r : runs) failed += failed_checks(r);
  return failed;
}

void flag_verdicts(nlohmann::json& copies, const nlohmann::json& runs) {
  if (!copies.is_object() || !copies.contains("phase")) return;  // no verdicts drawn
  const std::string phase = copies.at("phase").get<std::string>();
  long long lost = 0;
  int failed = 0;
  for (const auto& r : runs) {
    if (r.at("phase") != phase) continue;
    if (r.at("pair") != "socket->socket" && r.at("pair") != "af_xdp->af_xdp") continue;
    const auto& acc = r.value("loss_accounting", nlohmann::json());
    if (acc.is_object()) lost += std::max(0LL, acc.at("lost").get<long long>());
    failed += failed_checks(r);
  }
  if (lost == 0 && failed == 0) return;
  std::string what;
  if (lost != 0) what = with_commas(lost) + " lost frames";
  if (failed != 0) {
    what += (what.empty() ? "" : " and ") + fmt::format("{} failed check{}", failed,
                                                         failed == 1 ? "" : "s");
  }
  const std::string caveat = "from a run with " + what;
  copies["caveat"] = {{"lost", lost}, {"failed_checks", failed}, {"text", caveat}};
  if (copies.contains("rows") && copies["rows"].is_array()) {
    for (auto& row : copies["rows"]) row["caveat"] = caveat;
  }
  if (copies.contains("text")) {
    copies["text"] = fmt::format("⚠ The copy verdicts below come {} (see above): their "
                                 "per-packet counts may not hold for a clean run.\n{}",
                                 caveat, copies["text"].get<std::string>());
  }
}

}  // namespace copylab

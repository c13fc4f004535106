#include "latency/summary.hpp"

#include <algorithm>
#include <cmath>

namespace copylab {

LatencyStats summarize(const LatencyHistogram& h) {
  LatencyStats s;
  s.count = h.count();
  if (s.count == 0) return s;
  s.min = static_cast<double>(h.min());
  s.mean = h.mean();
  s.stddev = h.stddev();
  s.max = static_cast<double>(h.max());
  for (const auto& f : summary_fields()) {
    if (f.percentile > 0 && f.percentile < 100) {
      s.*f.member = static_cast<double>(h.value_at_percentile(f.percentile));
    }
  }
  return s;
}

bool percentile_resolvable(double percentile, std::uint64_t samples) noexcept {
  if (percentile <= 0) return samples > 0;
  if (percentile >= 100) return samples > 0;
  return samples >= samples_to_resolve(percentile);
}

std::uint64_t samples_to_resolve(double percentile) noexcept {
  if (percentile <= 0 || percentile >= 100) return 1;
  // 1e-9 absorbs the binary rounding of 100 - 99.999.
  return static_cast<std::uint64_t>(std::ceil(100.0 / (100.0 - percentile) - 1e-9));
}

const std::vector<SummaryField>& summary_fields() {
  static const std::vector<SummaryField> fields = {
      {"min", &LatencyStats::min, 0, "MIN"},
      {"p25", &LatencyStats::p25, 25, "25"},
      {"p50", &LatencyStats::p50, 50, "50"},
      {"p75", &LatencyStats::p75, 75, "75"},
      {"p90", &LatencyStats::p90, 90, "90"},
      {"p99", &LatencyStats::p99, 99, "99"},
      {"p99_9", &LatencyStats::p999, 99.9, "99.9"},
      {"p99_99", &LatencyStats::p9999, 99.99, "99.99"},
      {"p99_999", &LatencyStats::p99999, 99.999, "99.999"},
      {"max", &LatencyStats::max, 100, "MAX"},
      {"mean", &LatencyStats::mean, -1, "mean"},
      {"stddev", &LatencyStats::stddev, -1, "stddev"},
  };
  return fields;
}

const SummaryField* find_summary_field(const std::string& key) {
  for (const auto& f : summary_fields()) {
    if (key == f.key) return &f;
  }
  return nullptr;
}

bool unresolved(const SummaryField& f, std::uint64_t samples) noexcept {
  return f.percentile > 0 && f.percentile < 100 && !percentile_resolvable(f.percentile, samples);
}

namespace {
double us(double ns) { return std::round(ns) / 1000.0; }
}  // namespace

nlohmann::json to_json(const LatencyStats& s) {
  nlohmann::json j;
  j["count"] = s.count;
  for (const auto& f : summary_fields()) {
    j[std::string(f.key) + "_us"] =
        unresolved(f, s.count) ? nlohmann::json(nullptr) : nlohmann::json(us(s.*f.member));
  }
  return j;
}

Spread spread_of(std::vector<double> values) {
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
  s.min = values.front();
  s.max = values.back();
  s.runs = n;
  return s;
}

const Spread* RunsSummary::find(const std::string& key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return v.runs ? &v : nullptr;
  }
  return nullptr;
}

RunsSummary summarize_runs(const std::vector<LatencyStats>& runs) {
  RunsSummary out;
  out.runs = runs.size();
  for (const auto& f : summary_fields()) {
    std::vector<double> values;
    for (const auto& r : runs) {
      if (r.count && !unresolved(f, r.count)) values.push_back(r.*f.member);
    }
    out.fields.emplace_back(f.key, spread_of(std::move(values)));
  }
  return out;
}

nlohmann::json to_json(const RunsSummary& s) {
  nlohmann::json j;
  j["runs"] = s.runs;
  for (const auto& [key, sp] : s.fields) {
    j[key + "_us"] = sp.runs == 0 && s.runs > 0
                         ? nlohmann::json(nullptr)
                         : nlohmann::json{{"median", us(sp.median)},
                                          {"min", us(sp.min)},
                                          {"max", us(sp.max)}};
  }
  return j;
}

}  // namespace copylab

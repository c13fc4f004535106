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
  s.p50 = static_cast<double>(h.value_at_percentile(50.0));
  s.p90 = static_cast<double>(h.value_at_percentile(90.0));
  s.p99 = static_cast<double>(h.value_at_percentile(99.0));
  s.p999 = static_cast<double>(h.value_at_percentile(99.9));
  s.p9999 = static_cast<double>(h.value_at_percentile(99.99));
  s.max = static_cast<double>(h.max());
  return s;
}

const std::vector<SummaryField>& summary_fields() {
  static const std::vector<SummaryField> fields = {
      {"min", &LatencyStats::min},     {"p50", &LatencyStats::p50},
      {"p90", &LatencyStats::p90},     {"p99", &LatencyStats::p99},
      {"p99.9", &LatencyStats::p999},  {"p99.99", &LatencyStats::p9999},
      {"max", &LatencyStats::max},     {"mean", &LatencyStats::mean},
      {"stddev", &LatencyStats::stddev},
  };
  return fields;
}

namespace {
double us(double ns) { return std::round(ns) / 1000.0; }
}  // namespace

nlohmann::json to_json(const LatencyStats& s) {
  nlohmann::json j;
  j["count"] = s.count;
  for (const auto& f : summary_fields()) j[std::string(f.key) + "_us"] = us(s.*f.member);
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
  return s;
}

const Spread* RunsSummary::find(const std::string& key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return &v;
  }
  return nullptr;
}

RunsSummary summarize_runs(const std::vector<LatencyStats>& runs) {
  RunsSummary out;
  out.runs = runs.size();
  for (const auto& f : summary_fields()) {
    std::vector<double> values;
    for (const auto& r : runs) {
      if (r.count) values.push_back(r.*f.member);
    }
    out.fields.emplace_back(f.key, spread_of(std::move(values)));
  }
  return out;
}

nlohmann::json to_json(const RunsSummary& s) {
  nlohmann::json j;
  j["runs"] = s.runs;
  for (const auto& [key, sp] : s.fields) {
    j[key + "_us"] = {{"median", us(sp.median)}, {"min", us(sp.min)}, {"max", us(sp.max)}};
  }
  return j;
}

}  // namespace copylab

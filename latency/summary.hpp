// What one latency run reports (percentiles, mean, spread of samples), and how several runs of
// the same configuration are summarised: this VM is noisy, so the headline is the median of the
// runs' values with the min and max across runs beside it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "latency/histogram.hpp"

namespace copylab {

// One distribution, values in ns.
struct LatencyStats {
  std::uint64_t count = 0;
  double min = 0, mean = 0, stddev = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, p9999 = 0, max = 0;
};

LatencyStats summarize(const LatencyHistogram& h);

// The statistics every summary carries, in a fixed order: the JSON keys ("p50_us", ...) and the
// table columns come from here so they cannot drift apart.
struct SummaryField {
  const char* key;  // "p50"
  double LatencyStats::*member;
};
const std::vector<SummaryField>& summary_fields();

// {"count": N, "min_us": .., "mean_us": .., ..., "max_us": ..}
nlohmann::json to_json(const LatencyStats& s);

// The same statistic over repetitions: median of the runs, and the extremes across runs.
struct Spread {
  double median = 0, min = 0, max = 0;
};
Spread spread_of(std::vector<double> values);

struct RunsSummary {
  std::size_t runs = 0;
  // key -> spread, for every summary_fields() key, in ns
  std::vector<std::pair<std::string, Spread>> fields;
  const Spread* find(const std::string& key) const;
};
RunsSummary summarize_runs(const std::vector<LatencyStats>& runs);
// {"runs": N, "p50_us": {"median": .., "min": .., "max": ..}, ...}
nlohmann::json to_json(const RunsSummary& s);

}  // namespace copylab

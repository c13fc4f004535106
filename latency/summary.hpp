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
  double min = 0, mean = 0, stddev = 0, p25 = 0, p50 = 0, p75 = 0, p90 = 0, p99 = 0, p999 = 0,
         p9999 = 0, p99999 = 0, max = 0;
};

// A percentile p is resolvable from n samples when at least one sample lies above it:
// n * (100 - p) / 100 >= 1 (p99.999 needs 100000 samples). A value at a higher percentile would
// only repeat the maximum, so reports mark it instead of printing it as measured.
bool percentile_resolvable(double percentile, std::uint64_t samples) noexcept;
// The fewest samples that resolve `percentile` (the inverse of the rule above).
std::uint64_t samples_to_resolve(double percentile) noexcept;

LatencyStats summarize(const LatencyHistogram& h);

// The statistics every summary carries, in a fixed order: the JSON keys ("p50_us", "p99_9_us",
// ...) and the table columns come from here so they cannot drift apart.
struct SummaryField {
  const char* key;  // "p50", "p99_9" (no dots: one key style across copylab's JSON)
  double LatencyStats::*member;
  double percentile = -1;  // the percentile this field is (min = 0, max = 100); -1: not one
  const char* label = "";  // the column head in text reports: "MIN", "50", "99.9", "MAX"
};
const std::vector<SummaryField>& summary_fields();

const SummaryField* find_summary_field(const std::string& key);
// True when `f` is a percentile that `samples` cannot resolve (see percentile_resolvable).
bool unresolved(const SummaryField& f, std::uint64_t samples) noexcept;

// {"count": N, "min_us": .., "p25_us": .., ..., "max_us": .., "mean_us": .., "stddev_us": ..};
// a percentile the count cannot resolve is null.
nlohmann::json to_json(const LatencyStats& s);

// The same statistic over repetitions: median of the runs, and the extremes across runs.
// `runs` counts the runs whose value entered (a percentile only from runs that resolve it).
struct Spread {
  double median = 0, min = 0, max = 0;
  std::size_t runs = 0;
};
Spread spread_of(std::vector<double> values);

struct RunsSummary {
  std::size_t runs = 0;
  // key -> spread, for every summary_fields() key, in ns
  std::vector<std::pair<std::string, Spread>> fields;
  // The spread of `key`; nullptr for an unknown key or when no run resolved it.
  const Spread* find(const std::string& key) const;
};
RunsSummary summarize_runs(const std::vector<LatencyStats>& runs);
// {"runs": N, "p50_us": {"median": .., "min": .., "max": ..}, ...}; null for a statistic no
// run resolved.
nlohmann::json to_json(const RunsSummary& s);

}  // namespace copylab

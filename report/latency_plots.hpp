// Plots and the HTML page of a latency experiment: per-mode HdrHistogram percentile files
// (.hgrm), gnuplot data + script, SVG and PNG renders (percentile curves, CDF, rate sweep, size
// sweep), and index.html linking everything.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "latency/results.hpp"

namespace copylab {

struct HtmlReport {
  std::string index;                 // path of index.html
  std::vector<std::string> images;   // rendered SVG/PNG files
  std::string plot_error;            // why plots were not rendered (gnuplot missing/failed)
};

// Creates `dir` if needed. Never throws for a plotting failure (the page says what is missing);
// throws Error if the directory cannot be written.
HtmlReport write_latency_html(const LatencyResults& r, const std::string& dir,
                              const std::string& table_text, const nlohmann::json& doc);

// gnuplot's name for a mode's data file stem ("sock-block" -> "sock-block"): only [A-Za-z0-9-_].
std::string plot_stem(const std::string& mode);

}  // namespace copylab

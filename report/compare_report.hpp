// The side-by-side text report of `copylab compare`: one column per (pair, phase), the checks
// against the kernel's counters, and plain statements of what differs and what is not measured.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace copylab {

// `doc` is the JSON `copylab compare` writes (runs[], topology, notes).
std::string render_compare_report(const nlohmann::json& doc);
// What the report prints under its table ("" when nothing is wrong): a warning per paced run
// whose sender missed its rate, "N checks failed" with each failing check, and for every run
// that lost frames where they went.
std::string render_run_problems(const nlohmann::json& runs);

}  // namespace copylab

// The side-by-side text report of `copylab compare`: one column per (pair, phase), the checks
// against the kernel's counters, and plain statements of what differs and what is not measured.
#pragma once

#include <string>
#include <vector>

#include "harness/compare_outcome.hpp"

namespace copylab {

std::string render_compare_report(const CompareOutcome& outcome);
// What the report prints under its table ("" when nothing is wrong): a warning per paced run
// whose sender missed its rate, "N checks failed" with each failing check, and for every run
// that lost frames where they went.
std::string render_run_problems(const std::vector<RunRecord>& runs);

}  // namespace copylab

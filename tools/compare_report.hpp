// The side-by-side text report of `copylab compare`: one column per (pair, phase), the checks
// against the kernel's counters, and plain statements of what differs and what is not measured.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace copylab {

// `doc` is the JSON `copylab compare` writes (runs[], topology, notes).
std::string render_compare_report(const nlohmann::json& doc);

}  // namespace copylab

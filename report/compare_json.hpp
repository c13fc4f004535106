// The JSON document `copylab compare --json` writes, schema copylab.compare/1
// (report/COMPARE_JSON.md lists every key): the run's data with a unit in the name of every
// numeric key that has one (_bytes, _us, _s, _pps, _fraction, ...; counts are named as counts).
#pragma once

#include <nlohmann/json.hpp>

namespace copylab {

inline constexpr const char* kCompareSchema = "copylab.compare/1";

// `doc` (what the report is rendered from: tool results, kernel counters, evidence and verdicts as
// their producers name them) as the versioned document: "schema" added, and the keys whose name
// lacks their unit renamed (payload_size -> payload_bytes, rcvbuf.granted -> granted_bytes, ...).
nlohmann::json compare_document(nlohmann::json doc);

}  // namespace copylab

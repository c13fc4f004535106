// Every number `copylab compare` prints is set against an independent one: the tools' own counts
// against each other, and against the kernel's counters (UDP MIB, link statistics, the XDP
// program's counters, XDP_STATISTICS). A check that cannot be made is listed with the reason.
#pragma once

#include <nlohmann/json.hpp>

namespace copylab {

struct RunRecord;
// [{name, expected, observed, ok, source, note}]
nlohmann::json cross_checks(const RunRecord& rec);

}  // namespace copylab

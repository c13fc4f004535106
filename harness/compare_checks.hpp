// Every number `copylab compare` prints is set against an independent one: the tools' own counts
// against each other, and against the kernel's counters (UDP MIB, link statistics, the XDP
// program's counters, XDP_STATISTICS). A check that cannot be made is listed with the reason.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace copylab {

struct RunRecord;
// One check row: expected vs observed and ok, or `unavailable` (ok null) when either side could
// not be measured; `source` names the independent counter, `note` the reason or the method.
nlohmann::json check_row(const std::string& name, std::optional<long long> expected,
                         std::optional<long long> observed, const std::string& source,
                         const std::string& note);
// [{name, expected, observed, ok, source, note}]
nlohmann::json cross_checks(const RunRecord& rec);

}  // namespace copylab

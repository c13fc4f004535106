// Every number `copylab compare` prints is set against an independent one: the tools' own counts
// against each other, and against the kernel's counters (UDP MIB, link statistics, the XDP
// program's counters, XDP_STATISTICS). A check that cannot be made is listed with the reason.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "evidence/run_counts.hpp"

namespace copylab {

// One check: expected vs observed, or unavailable when either side could not be measured;
// `source` names the independent counter, `note` the reason or the method.
struct CheckRow {
  std::string name;
  std::optional<long long> expected;
  std::optional<long long> observed;
  std::string source;
  std::string note;

  bool available() const { return expected && observed; }
  // true/false when available, nullopt when not (not a pass).
  std::optional<bool> ok() const;
};

// {name, source, note, expected, observed, ok} or {name, source, note, ok: null, unavailable: true}.
nlohmann::json to_json(const CheckRow& c);
nlohmann::json to_json(const std::vector<CheckRow>& checks);

std::vector<CheckRow> cross_checks(const RunCounts& run);

}  // namespace copylab

// What the in-kernel cross-check gathered over one `copylab compare` run, as C++ values: the BPF
// tracepoint backend's result with the tools' system-call counts, or the kprobe module's exact
// per-site counters. The verdicts and the report read these fields; JSON is made only when the
// document is written (to_json).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "evidence/cross_check.hpp"
#include "kmod/backend/copyprobe_counters.hpp"

namespace copylab {

// One tool's system calls over the run (the BPF backend's per-thread counters).
struct SyscallTally {
  pid_t pid = 0;
  std::optional<std::uint64_t> total;  // nullopt: not counted in this run (not_counted says why)
  std::map<std::string, std::uint64_t> by_name;
  std::string not_counted;
};

// The calls of `tgid` in `ledger` (null total, with the reason, when the run did not count them).
SyscallTally syscall_tally(const trace::CopyLedger& ledger, pid_t tgid);

// The BPF tracepoint backend (evidence/cross_check).
struct TraceRunEvidence {
  trace::CrossCheckResult result;
  SyscallTally sender;
  SyscallTally receiver;
};

// Stops a run's cross-check (and releases it): its result with the two tools' system calls.
TraceRunEvidence stop_trace_run(std::unique_ptr<trace::CrossCheck>& check, pid_t sender,
                                pid_t receiver);

// The kprobe module copyprobe (kmod/backend).
struct ModuleRunEvidence {
  std::string module_path;
  std::string params;
  kmod::CopyprobeCounters counters;
  // Per-packet lines, written once the run's sent/received counts are known (complete_run).
  std::vector<std::string> lines;
};

// No evidence (no observer, or --backend none), or one backend's.
using RunEvidence = std::variant<std::monostate, TraceRunEvidence, ModuleRunEvidence>;

inline bool has_evidence(const RunEvidence& e) {
  return !std::holds_alternative<std::monostate>(e);
}
// The side's system calls when the backend counts them (the BPF backend), else null.
const SyscallTally* syscalls_of(const RunEvidence& e, bool sender);

nlohmann::json to_json(const SyscallTally& s);
// null for no evidence; the BPF result with "syscalls" {sender, receiver} and "text"; the module's
// {backend: "kmod", module, params, counters, lines}.
nlohmann::json to_json(const RunEvidence& e);

}  // namespace copylab

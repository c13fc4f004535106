// Finds the records of runs whose owner is gone (common/run_registry.hpp) and reclaims what
// they owned: child processes, XDP programs (by id), tracefs instances, mounts, namespaces that
// carry setup.sh's ownership marker, and /tmp/copylab-* work directories. Records of live runs
// are never touched: other runs may be going on at the same time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace copylab {

struct StaleRunReport {
  pid_t pid = 0;
  std::string cmd;
  std::vector<std::string> removed;  // "namespace cl-cmp-1-0a", "XDP program id 52 on c1x0b", ...
  std::vector<std::string> kept;     // what could not be removed, and why
  // "run 1234 (xdp_receiver --dev x, no longer running): XDP program id 52 on x, ..."
  std::string summary() const;
};

// Reclaims (or with dry_run only lists) every stale run's state. Holds a lock on the run
// directory meanwhile, so two runs starting together don't reclaim the same record.
std::vector<StaleRunReport> reclaim_stale_runs(bool dry_run);

// At the start of a tool or subcommand: reclaims stale runs and says so in one line per run;
// silent when there is nothing (or no permission to look).
void reclaim_stale_runs_at_start() noexcept;

}  // namespace copylab

// DPDK's Environment Abstraction Layer, started by the tool that uses it and cleaned up when it
// ends: a file prefix unique to this process ("copylab-<pid>-<start time>"), its log captured
// (shown with -vv, quoted in errors), the calling thread's CPU affinity kept, and the runtime
// directory the EAL leaves behind removed (a killed run's is removed by the next run).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace copylab {

class EalSession {
 public:
  // rte_eal_init with `args` (the EAL options, no program name) plus the file prefix, log level
  // and lcore copylab sets. Throws Error with one line: the EAL's own last message and a fix.
  // At most once per process (a DPDK rule: rte_eal_init cannot run twice).
  explicit EalSession(const std::vector<std::string>& args);
  ~EalSession();
  EalSession(const EalSession&) = delete;
  EalSession& operator=(const EalSession&) = delete;

  const std::string& file_prefix() const noexcept { return prefix_; }
  const std::vector<std::string>& argv() const noexcept { return argv_; }
  // The EAL and PMD log's last non-empty line (empty with -vv, when it goes to stderr).
  std::string last_log_line() const;

 private:
  std::string prefix_;
  std::vector<std::string> argv_;
  std::string runtime_dir_;
  std::FILE* log_ = nullptr;  // the EAL's log stream (rte_openlog_stream), a memfd
};

// Runtime directories of copylab EAL runs whose process is gone (<dpdk runtime dir>/copylab-*):
// removed, one info line each. Never touches another program's prefix.
void reclaim_stale_eal_dirs() noexcept;

}  // namespace copylab

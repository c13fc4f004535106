// `copylab hist --path socket|xdp`: copylab's own sender and receiver binaries (build bin dir)
// in a temporary namespace pair, traced by the cross-check (scope: the pair's namespaces).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "evidence/cross_check.hpp"
#include "evidence/hist_trigger.hpp"

namespace copylab::trace {

struct HistPathRun {
  std::string title;
  CrossCheckResult result;
  HistTriggerRun trigger;  // the kernel's own hist trigger on the same run (when available)
};

// path "socket": sock_sender → sock_receiver; "xdp": xdp_sender → xdp_receiver (generic mode,
// xdpsock -S in copy mode). With `trigger.enabled`, the hist triggers are armed once both tools
// are forked (held before exec) and switched on/off by their exec/exit. Throws copylab::Error when
// a binary is missing or fails.
HistPathRun run_hist_path(const std::string& path, std::uint64_t count,
                          const CrossCheckOptions& opts, const HistTriggerPlan& trigger);

// A command for a traced run: forked and held before exec until release() (so the cross-check
// and the hist trigger have its pid before it runs), its output on copylab's own stdout/stderr.
// Throws copylab::Error on an empty argv.
ChildProcess start_traced(const std::vector<std::string>& argv);
// Waits for a traced command to exit; a stop request sends it SIGTERM (SIGKILL 5 s later).
// Returns its exit code (128 + signal if killed).
int wait_traced(ChildProcess& child);

// Where copylab's binaries are: $COPYLAB_BIN_DIR, else the directory of /proc/self/exe.
std::string copylab_bin_dir();

}  // namespace copylab::trace

// What every sender/receiver tool shares besides the common options: --cpu pinning, --ready-file
// (written once the datapath is set up, so a harness knows when to start sending) and a sender's
// --start-after-file (cli/options_traffic registers them).
#pragma once

#include <string>

namespace copylab {

struct RunOutputOptions {
  int cpu = -1;
  std::string ready_file;
  std::string start_after_file;  // senders: wait for this file before the first frame
};

// Marks readiness (creates the ready file) when one was asked for.
void signal_ready(const RunOutputOptions& opts);
// Waits (bounded, interruptible) until --start-after-file exists; no-op without it.
void wait_for_start(const RunOutputOptions& opts);

}  // namespace copylab

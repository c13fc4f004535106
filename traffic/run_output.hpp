// Options every sender/receiver tool shares besides the common ones (common/cli.hpp): --cpu
// pinning, --ready-file (written once the datapath is set up, so a harness knows when to start
// sending).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace copylab {

struct RunOutputOptions {
  int cpu = -1;
  std::string ready_file;
  std::string start_after_file;  // senders: wait for this file before the first frame
};

void add_run_output_options(CLI::App& app, RunOutputOptions& opts);
void add_start_after_option(CLI::App& app, RunOutputOptions& opts);
// Marks readiness (creates the ready file) when one was asked for.
void signal_ready(const RunOutputOptions& opts);
// Waits (bounded, interruptible) until --start-after-file exists; no-op without it.
void wait_for_start(const RunOutputOptions& opts);

}  // namespace copylab

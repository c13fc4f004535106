// The ready-file handshake with a child tool: the tool creates the file (--ready-file) once its
// socket or XDP program is set up, and the parent waits for it, bounded, while the tool runs.
#pragma once

#include <chrono>
#include <string>

#include "common/child_process.hpp"

namespace copylab {

// Returns once `path` exists. Throws copylab::Error naming the child (its command line) and
// where its output is (its log file, else the terminal) when it exits first or `timeout`
// passes, and Error("interrupted", stop_exit_code()) on a stop request (common/stop.hpp).
void wait_for_ready_file(const std::string& path, ChildProcess& child,
                         std::chrono::milliseconds timeout);

}  // namespace copylab

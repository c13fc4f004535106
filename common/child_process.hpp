// A child process owned by an RAII handle: started with its output going to a log file, waited
// for with a bound, and stopped (SIGTERM, then SIGKILL) if the owner unwinds first, so a failed
// or interrupted harness never leaves a sender or receiver running with XDP attached. A parent
// killed outright takes the child with it (parent-death signal), and the child is in the run's
// record (common/run_registry.hpp) until reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/run_registry.hpp"

namespace copylab {

class ChildProcess {
 public:
  // Starts argv (argv[0] looked up in PATH). stdout and stderr go to `log_path` (truncated).
  static ChildProcess start(const std::vector<std::string>& argv, const std::string& log_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }
  bool running();
  // Waits up to `timeout`; returns the exit code (128 + signal when killed), nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  void signal(int sig) const;
  const std::string& log_path() const noexcept { return log_path_; }
  std::string command_line() const;

 private:
  ChildProcess(pid_t pid, std::vector<std::string> argv, std::string log)
      : pid_(pid), argv_(std::move(argv)), log_path_(std::move(log)) {}
  bool reap(bool block);
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::vector<std::string> argv_;
  std::string log_path_;
  OwnedState owned_;  // the child in this run's record until it is reaped
};

// Last non-empty lines of a file (for quoting a child's error in one line).
std::string last_line_of(const std::string& path);

}  // namespace copylab

namespace copylab {
// The directory of the running executable: where copylab finds its sibling tools.
std::string self_bin_dir();
}  // namespace copylab

// A command started for a traced run: forked and held before exec until the cross-check has its
// pid in scope (so not one event of it is missed), then released. The destructor terminates and
// reaps it if it is still running (error paths, SIGINT).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/run_registry.hpp"

namespace copylab::trace {

class ScopedCommand {
 public:
  // Forks; the child waits for release() and then execvp(argv). Throws copylab::Error.
  explicit ScopedCommand(std::vector<std::string> argv);
  ScopedCommand(const ScopedCommand&) = delete;
  ScopedCommand& operator=(const ScopedCommand&) = delete;
  ~ScopedCommand();

  pid_t pid() const noexcept { return pid_; }
  // Lets the child exec the command.
  void release();
  // Waits for the command to exit, polling stop_requested(): on a stop request the command gets
  // SIGTERM. Returns its exit code (128 + signal if killed, 127 if exec failed).
  int wait();

 private:
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int go_fd_ = -1;  // write end: closing it (or writing) releases the child
  bool reaped_ = false;
  OwnedState owned_;  // the command in this run's record until it is reaped
};

}  // namespace copylab::trace

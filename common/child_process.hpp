// copylab's one way to run another program: a child process owned by an RAII handle. It is
// forked with a parent-death signal (a parent killed outright takes the child with it), with
// copylab's stop handlers reset to the defaults before exec, and (unless asked otherwise) it is
// in the run's record (common/run_registry.hpp) until reaped; the handle stops it (SIGTERM, then SIGKILL) if the
// owner unwinds first, so a failed or interrupted run never leaves a sender or receiver running
// with XDP attached. Its output goes to a log file, to pipes the parent reads (run_command), or
// to the parent's own stdout/stderr; it may be held between fork and exec until release().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/function_ref.hpp"
#include "common/run_registry.hpp"

namespace copylab {

// What a finished command printed, and how it ended.
struct CommandResult {
  int exit_code = -1;  // exit status, or 128 + signal number when it was killed
  std::string out;
  std::string err;
  bool ok() const noexcept { return exit_code == 0; }
  // The last non-empty line of stderr (or stdout when stderr is empty): what to quote in an Error.
  std::string last_error_line() const;
};

struct SpawnOptions {
  enum class Output {
    kLogFile,  // stdout and stderr to `log_path` (truncated)
    kCapture,  // stdout and stderr to pipes, read by communicate()
    kInherit,  // the parent's own stdout and stderr
  };
  Output output = Output::kLogFile;
  std::string log_path;
  // Its own process group: a Ctrl-C at the terminal reaches copylab (which then unwinds and
  // stops it) but not the child halfway through its work.
  bool own_process_group = false;
  // Forked and held before exec until release(): its pid is known before it runs a single
  // instruction of the program.
  bool held = false;
  // COPYLAB_PARENT=<this program's command line> in its environment: a copylab tool started by
  // another copylab program then does not suggest options the user's command does not have.
  bool mark_parent = true;
  // In the run's record until reaped, so a run killed outright leaves it for the next run to
  // reclaim. Off for a short command the caller waits for at once (run_command).
  bool recorded = true;
};

class ChildProcess {
 public:
  // Starts argv (argv[0] looked up in PATH), stdin from /dev/null unless the output is inherited.
  // Throws copylab::Error when it cannot be started or its exec fails (a held child's exec is
  // checked at release()).
  static ChildProcess spawn(const std::vector<std::string>& argv, const SpawnOptions& options);
  // spawn() with stdout and stderr going to `log_path` (truncated).
  static ChildProcess start(const std::vector<std::string>& argv, const std::string& log_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }
  // A held child: lets it exec the program. Throws like spawn() when the exec fails.
  void release();
  bool running();
  // Waits up to `timeout`; returns the exit code (128 + signal when killed), nullopt on timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Waits for it to exit, calling `tick` every `period` (and once after it exited). A stop
  // request (common/stop.hpp) sends it SIGTERM, and SIGKILL once `grace` has passed. Returns its
  // exit code.
  int wait_or_stop(std::chrono::milliseconds period, FunctionRef<void()> tick,
                   std::chrono::milliseconds grace);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  void signal(int sig) const;
  // A captured child: reads stdout and stderr to their end, then reaps it.
  CommandResult communicate();
  // The log file; "" when the output is not logged.
  const std::string& log_path() const noexcept { return log_path_; }
  std::string command_line() const;

 private:
  ChildProcess(pid_t pid, std::vector<std::string> argv, std::string log)
      : pid_(pid), argv_(std::move(argv)), log_path_(std::move(log)) {}
  bool reap(bool block);
  void check_exec();
  void close_fds() noexcept;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::vector<std::string> argv_;
  std::string log_path_;
  int go_fd_ = -1;           // held: writing a byte releases the child; closing it ends it
  int exec_status_fd_ = -1;  // close-on-exec in the child: EOF means exec worked, else its errno
  int out_fd_ = -1;          // captured stdout
  int err_fd_ = -1;          // captured stderr
  OwnedState owned_;         // the child in this run's record until it is reaped
};

// Runs argv to completion with stdin from /dev/null and returns what it printed. The child
// inherits the calling thread's network namespace, runs in its own process group and gets
// SIGTERM when copylab dies; it is not in the run's record. Throws Error if it cannot be started
// at all.
CommandResult run_command(const std::vector<std::string>& argv);

// Last non-empty lines of a file (for quoting a child's error in one line).
std::string last_line_of(const std::string& path);

// The directory of the running executable: where copylab finds its sibling tools.
std::string self_bin_dir();

}  // namespace copylab

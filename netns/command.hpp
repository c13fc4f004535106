// Runs a helper program (the netns scripts, ip, nstat, ethtool) and captures what it printed, so
// a failure can be reported as one line with the program's own last error message.
#pragma once

#include <string>
#include <vector>

namespace copylab {

struct CommandResult {
  int exit_code = -1;  // exit status, or 128 + signal number when it was killed
  std::string out;
  std::string err;
  bool ok() const noexcept { return exit_code == 0; }
  // The last non-empty line of stderr (or stdout when stderr is empty): what to quote in an Error.
  std::string last_error_line() const;
};

// Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, and waits for it. The child
// inherits the calling thread's network namespace and runs in its own process group (terminal
// Ctrl-C does not interrupt it), but gets SIGTERM when copylab dies. Throws Error if it cannot
// be started at all.
CommandResult run_command(const std::vector<std::string>& argv);

// Runs argv inside the named namespace via `ip netns exec` (which also remounts /sys for it, so
// ethtool and /sys/class/net see the namespace's devices).
CommandResult run_in_netns(const std::string& ns, const std::vector<std::string>& argv);

}  // namespace copylab

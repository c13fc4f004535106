// Commands run inside a named network namespace through `ip netns exec` (which also remounts /sys
// for them, so ethtool and /sys/class/net see the namespace's devices). The one place that
// spells that command line; run_command and CommandResult come from common/child_process.hpp.
#pragma once

#include <string>
#include <vector>

#include "common/child_process.hpp"

namespace copylab {

// {"ip", "netns", "exec", ns, argv...}: argv run inside `ns`. `ip netns exec` execs the program
// in the same process, so the pid of a child started with it is the program's own.
std::vector<std::string> netns_exec_argv(const std::string& ns, const std::vector<std::string>& argv);

// run_command(netns_exec_argv(ns, argv)).
CommandResult run_in_netns(const std::string& ns, const std::vector<std::string>& argv);

}  // namespace copylab

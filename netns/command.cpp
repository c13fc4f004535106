#include "netns/command.hpp"

namespace copylab {

std::vector<std::string> netns_exec_argv(const std::string& ns, const std::vector<std::string>& argv) {
  std::vector<std::string> full{"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

CommandResult run_in_netns(const std::string& ns, const std::vector<std::string>& argv) {
  return run_command(netns_exec_argv(ns, argv));
}

}  // namespace copylab

// Runs copylab's own binaries the way a user does (`ip netns exec NS build/bin/TOOL ...`) inside
// a test's private topology, with a bound on time, and reads back what they left in the kernel.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/child_process.hpp"
#include "netns/topology.hpp"
#include "pathspec/tool_argv.hpp"

namespace copylab::test {

struct ToolRun {
  int exit_code = -1;
  pid_t pid = -1;
  std::string output;  // stdout + stderr
  nlohmann::json json; // the tool's JSON result file, null when none
  // The last line (where a failing tool puts its one-line error).
  std::string last_line() const;
  int lines_containing(const std::string& needle) const;
};

std::string bin(const std::string& tool);
// argv for running `tool` in namespace `ns` (empty ns: in the test's own namespace).
std::vector<std::string> tool_argv(const std::string& ns, const std::string& tool,
                                   const std::vector<std::string>& args);
// Runs to completion (bounded by `timeout`); a run that times out is killed and fails the test.
// `json_file`: append the JSON output option (copylab's or the tools') with a temp file and read
// the document back into ToolRun::json.
ToolRun run_tool(const std::string& ns, const std::string& tool, std::vector<std::string> args,
                 std::chrono::seconds timeout = std::chrono::seconds(60), bool json_file = true);
// Starts a tool in the background with --ready-file and the JSON output option and waits until
// it is ready.
struct BackgroundTool {
  ChildProcess process;
  std::string json_path;
  std::string log_path;
  ToolRun finish(std::chrono::seconds timeout = std::chrono::seconds(60));
};
BackgroundTool start_tool(const std::string& ns, const std::string& tool,
                          std::vector<std::string> args);

// unique_topology_config(tag) with MACs and addresses that are not netns/setup.sh's defaults
// (02:5c:<subnet in hex>:00:00:0a/0b, 192.168.<subnet>.17/42): namespaces someone else made,
// whose addresses a command reusing them with --netns must read back instead of assuming.
TopologyConfig non_default_topology_config(std::string_view tag, std::uint8_t subnet);

// The XDP program attached to `dev` in `ns`, as `ip link` reports it (empty: none).
std::string attached_xdp(const std::string& ns, const std::string& dev);
// A launch's tool, namespace and flags (pathspec's factory), for run_tool/start_tool, which add
// the JSON output option (and start_tool the ready file) themselves.
struct LaunchCommand {
  std::string ns;
  std::string tool;
  std::vector<std::string> args;
};
LaunchCommand launch_command(const TopologyConfig& t, const ToolLaunch& launch);
// Sender arguments for the topology's A→B direction with the tools' default path (the factory's
// flags for an AF_XDP or socket sender).
std::vector<std::string> xdp_sender_args(const TopologyConfig& t);
std::vector<std::string> sock_sender_args(const TopologyConfig& t);
std::string temp_path(const std::string& stem);

}  // namespace copylab::test

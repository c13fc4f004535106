#include "harness/hist_paths.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/ready_file.hpp"
#include "common/run_registry.hpp"
#include "netns/command.hpp"
#include "pathspec/tool_argv.hpp"
#include "netns/topology.hpp"
#include "xdp/xdp_mode.hpp"
#include "evidence/scope.hpp"

namespace copylab::trace {

std::string copylab_bin_dir() {
  if (const char* env = std::getenv("COPYLAB_BIN_DIR"); env && *env) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

namespace {

// The AF_XDP path runs generic XDP: the copy-mode path xdpsock -S exercises.
constexpr XdpMode kHistXdpMode = XdpMode::kGeneric;

std::string require_binary(const std::string& name) {
  const std::string path = copylab_bin_dir() + "/" + name;
  if (::access(path.c_str(), X_OK) != 0)
    throw Error(fmt::format("{} not found or not executable", path),
                "build it (cmake --build <build> --target " + name +
                    ") or set COPYLAB_BIN_DIR to the directory that holds it",
                kExitUnsupported);
  return path;
}

}  // namespace

ChildProcess start_traced(const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("no command given", "put the command after --", kExitUsage);
  SpawnOptions opt;
  opt.output = SpawnOptions::Output::kInherit;
  opt.held = true;
  opt.mark_parent = false;
  return ChildProcess::spawn(argv, opt);
}

int wait_traced(ChildProcess& child) {
  // Polled every 5 ms; a command that ignores SIGTERM gets SIGKILL 5 s later.
  return child.wait_or_stop(std::chrono::milliseconds(5), [] {}, std::chrono::seconds(5));
}

HistPathRun run_hist_path(const std::string& path, std::uint64_t count,
                          const CrossCheckOptions& opts, const HistTriggerPlan& trigger) {
  const bool xdp = path == "xdp";
  // The same addresses, ports and payload on both paths (the traffic is identical).
  const PathSpec spec = xdp ? af_xdp_path(kHistXdpMode) : socket_path();
  const std::string sender = require_binary(tool_name(spec.datapath(), ToolRole::kSender));
  const std::string receiver = require_binary(tool_name(spec.datapath(), ToolRole::kReceiver));

  Topology topo = Topology::create_unique("hist");
  const TopologyConfig& t = topo.config();
  ScopeSpec scope;
  scope.netns_inums = {named_netns_inode(t.ns_a), named_netns_inode(t.ns_b)};

  const std::string ready = fmt::format("/tmp/copylab-hist-{}-{}.ready", ::getpid(), path);
  ::unlink(ready.c_str());
  const OwnedState ready_record = record_owned({{"kind", "file"}, {"path", ready}});
  ToolLaunch rx_launch;
  rx_launch.path = spec;
  rx_launch.role = ToolRole::kReceiver;
  rx_launch.count = count;
  rx_launch.idle_timeout_s = 2;
  rx_launch.duration_s = 30;
  rx_launch.per_second = false;
  rx_launch.ready_file = ready;
  ToolLaunch tx_launch;
  tx_launch.path = spec;
  tx_launch.role = ToolRole::kSender;
  tx_launch.count = count;
  // The tools' own -v lines (their mode, read back from the kernel) only when hist has -v.
  rx_launch.verbose = tx_launch.verbose = log_verbosity() >= 1;
  const std::string bin_dir = copylab_bin_dir();

  HistPathRun run;
  CrossCheck cc(opts);
  cc.start(scope);
  // Both tools are forked and held before exec, so the hist trigger's window can name their pids
  // (`ip netns exec` execs the tool in the same process).
  ChildProcess receiving = start_traced(tool_argv(t, rx_launch, bin_dir));
  ChildProcess sending = start_traced(tool_argv(t, tx_launch, bin_dir));
  const bool pids = in_initial_pid_namespace();
  std::unique_ptr<HistTriggerSession> hist_trigger = arm_hist_trigger(
      trigger,
      {{comm_of(receiver), pids ? receiving.pid() : 0}, {comm_of(sender), pids ? sending.pid() : 0}},
      run.trigger);
  receiving.release();
  wait_for_ready_file(ready, receiving, std::chrono::seconds(10));
  ::unlink(ready.c_str());
  sending.release();
  const int tx_rc = wait_traced(sending);
  const int rx_rc = wait_traced(receiving);
  CrossCheckResult r = cc.stop();
  finish_hist_trigger(hist_trigger, run.trigger);
  if (tx_rc != 0 || rx_rc != 0)
    throw Error(fmt::format("hist --path {}: sender exited {}, receiver exited {}", path, tx_rc,
                            rx_rc),
                "run the two binaries by hand with -v to see why");
  run.title = fmt::format("{} path: {} -> {} ({} datagrams, {} -> {} in netns {} -> {}{})",
                          xdp ? "AF_XDP" : "socket", std::filesystem::path(sender).filename().string(),
                          std::filesystem::path(receiver).filename().string(), count, t.dev_a,
                          t.dev_b, t.ns_a, t.ns_b, xdp ? fmt::format(", {} mode", to_string(kHistXdpMode)) : "");
  run.result = std::move(r);
  return run;
}

}  // namespace copylab::trace

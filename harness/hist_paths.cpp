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
  const std::string sender = require_binary(xdp ? "xdp_sender" : "sock_sender");
  const std::string receiver = require_binary(xdp ? "xdp_receiver" : "sock_receiver");

  Topology topo = Topology::create_unique("hist");
  const TopologyConfig& t = topo.config();
  ScopeSpec scope;
  scope.netns_inums = {named_netns_inode(t.ns_a), named_netns_inode(t.ns_b)};

  const std::string n = std::to_string(count);
  const std::string ready = fmt::format("/tmp/copylab-hist-{}-{}.ready", ::getpid(), path);
  ::unlink(ready.c_str());
  const OwnedState ready_record = record_owned({{"kind", "file"}, {"path", ready}});
  // The same addresses, ports and payload on both paths (the traffic is identical).
  std::vector<std::string> rx = {receiver,        "--dev",        t.dev_b,           "--count",
                                 n,               "--idle-timeout", "2",              "--duration",
                                 "30",            "--no-per-second", "--ready-file",   ready};
  std::vector<std::string> tx = {sender,     "--dev",       t.dev_a, "--src-ip", t.ip_a.str(),
                                 "--dst-ip", t.ip_b.str(), "--count", n};
  // The tools' own -v lines (their mode, read back from the kernel) only when hist has -v.
  if (log_verbosity() >= 1) {
    rx.emplace_back("-v");
    tx.emplace_back("-v");
  }
  if (xdp) {
    rx.insert(rx.end(), {"--mode", to_string(kHistXdpMode)});
    tx.insert(tx.end(), {"--dst-mac", t.mac_b.str(), "--src-mac", t.mac_a.str()});
  } else {
    rx.insert(rx.end(), {"--src-ip", t.ip_a.str(), "--dst-ip", t.ip_b.str()});
  }

  HistPathRun run;
  CrossCheck cc(opts);
  cc.start(scope);
  // Both tools are forked and held before exec, so the hist trigger's window can name their pids
  // (`ip netns exec` execs the tool in the same process).
  ChildProcess receiving = start_traced(netns_exec_argv(t.ns_b, rx));
  ChildProcess sending = start_traced(netns_exec_argv(t.ns_a, tx));
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

#include "harness/hist_paths.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/run_registry.hpp"
#include "common/stop.hpp"
#include "netns/topology.hpp"
#include "xdp/xdp_mode.hpp"
#include "evidence/scope.hpp"
#include "harness/scoped_command.hpp"

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

std::vector<std::string> in_netns(const std::string& ns, std::vector<std::string> argv) {
  std::vector<std::string> full = {"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

}  // namespace

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
  ScopedCommand receiving(in_netns(t.ns_b, rx));
  ScopedCommand sending(in_netns(t.ns_a, tx));
  const bool pids = in_initial_pid_namespace();
  std::unique_ptr<HistTriggerSession> hist_trigger = arm_hist_trigger(
      trigger,
      {{comm_of(receiver), pids ? receiving.pid() : 0}, {comm_of(sender), pids ? sending.pid() : 0}},
      run.trigger);
  receiving.release();
  // The receiver creates --ready-file once its socket / XDP program is set up (bounded wait).
  for (int waited = 0; ::access(ready.c_str(), F_OK) != 0; waited += 10) {
    if (waited > 10'000 || stop_requested())
      throw Error(fmt::format("hist --path {}: the receiver did not get ready within 10 s", path),
                  "run it by hand with -v to see why");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::unlink(ready.c_str());
  sending.release();
  const int tx_rc = sending.wait();
  const int rx_rc = receiving.wait();
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

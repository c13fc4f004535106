// The in-kernel cross-check of one run: attach at start(), detach at stop() (or in the
// destructor, on any exit path). Between the two, BPF programs on tracepoints count the copy
// markers of the experiment (CopyLedger), record kernel stacks at the path markers
// (StackHistogram, ftrace hist format) and sample every CPU's stacks (CopySiteReport).
//
//   CrossCheck cc;                       // nothing attached yet
//   cc.start(scope);                     // load + attach (throws copylab::Error if BPF refuses)
//   ... run traffic ...
//   CrossCheckResult r = cc.stop();      // detach, read the maps, free everything
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "evidence/copy_ledger.hpp"
#include "evidence/copy_sites.hpp"
#include "evidence/hist_format.hpp"
#include "evidence/scope.hpp"

namespace copylab::trace {

struct CrossCheckOptions {
  bool histograms = true;       // kernel stacks at netif_receive_skb / net_dev_start_xmit / xdp_redirect
  bool sampling = true;         // cpu-clock stack samples on every CPU
  bool payload_samples = true;  // skb/head/payload addresses of the first packets
  int sample_hz = 4999;
  // Exact counts at the copy functions with BPF kprobes, when probe_kprobes() says the kernel
  // allows them (otherwise the ledger's kprobe lines say why they are unavailable).
  bool kprobes = true;
  // Pids are added with add_pid() after start() (e.g. processes spawned later): scope by pid
  // even though ScopeSpec::pids is empty at start().
  bool pids_added_later = false;
};

// One backend of the cross-check and whether it ran.
struct BackendStatus {
  std::string name;
  bool active = false;
  std::string detail;  // what it measures, or why it did not run
};

struct CrossCheckResult {
  CopyLedger ledger;
  std::vector<StackHistogram> histograms;  // netif_receive_skb, net_dev_start_xmit, xdp_redirect
  CopySiteReport copy_sites;
  std::vector<BackendStatus> backends;

  const StackHistogram* histogram(const std::string& event) const;
};

nlohmann::json to_json(const CrossCheckResult& r);
// The inverse of to_json for what the verdicts need (ledger lines, skb frees, syscalls, payload
// samples, copy sites, backends): evidence stored as JSON (e.g. per run in `copylab compare`)
// can be turned into verdicts later. Histogram entries are read back too.
CrossCheckResult cross_check_result_from_json(const nlohmann::json& j);
std::string format_cross_check(const CrossCheckResult& r);

class CrossCheck {
 public:
  explicit CrossCheck(CrossCheckOptions opts = {});
  CrossCheck(const CrossCheck&) = delete;
  CrossCheck& operator=(const CrossCheck&) = delete;
  ~CrossCheck();

  void start(const ScopeSpec& scope);
  // Adds a process (and, with follow_forks, its future children) to a running pid scope.
  void add_pid(pid_t pid);
  bool running() const noexcept;
  CrossCheckResult stop();

 private:
  struct Impl;
  CrossCheckOptions opts_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace copylab::trace

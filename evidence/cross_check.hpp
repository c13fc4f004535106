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

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evidence/copy_ledger.hpp"
#include "evidence/copy_sites.hpp"
#include "evidence/hist_format.hpp"
#include "evidence/scope.hpp"

namespace copylab::trace {

// A device whose own counters stand in for a per-packet tracepoint (see CrossCheckOptions).
struct CounterDevice {
  std::string netns;  // named netns ("" = the caller's)
  std::string dev;
};

// What the cross-check attaches. The exact ledger (the copy markers: sock_send_length /
// sock_recv_length, xdp_redirect, consume_skb / kfree_skb) is always on; everything that costs
// more per event is a choice here, and what is sampled says so in the result.
struct CrossCheckOptions {
  bool histograms = true;       // kernel stacks at netif_receive_skb / net_dev_start_xmit / xdp_redirect
  // Stack of one event in this many (per CPU, per event kind; a power of two): 1 = every event,
  // exact hitcounts. A stack walk and a hash update per event is the dearest thing the
  // cross-check can do.
  std::uint32_t stack_every = 1;
  bool sampling = true;         // cpu-clock stack samples on every CPU
  bool payload_samples = true;  // skb/head/payload addresses of the first packets
  // Exact counts at net_dev_queue, net_dev_start_xmit and netif_receive_skb (the socket path's
  // markers, three events per packet). Attached also when histograms or payload samples need them.
  bool path_markers = true;
  int sample_hz = 4999;
  // consume_skb locations: calls from these kernel functions are counted exactly (at most
  // CL_MAX_WATCHED_FREES; the copy verdicts read them), every other location on a sample of one
  // free in `free_every` (a power of two; 1 = all exact).
  std::vector<std::string> watched_frees = {"skb_pp_cow_data", "xdp_do_generic_redirect",
                                            "xdp_do_generic_redirect_map", "veth_xdp_rcv_skb"};
  std::uint32_t free_every = 64;
  // When set: the XSKMAP redirect count comes from this veth's own per-queue XDP counters
  // (`ethtool -S`: rx_queue_<n>_xdp_redirect, counted by veth's native XDP receive path), read
  // before and after, instead of an xdp:xdp_redirect event per packet. Only for native XDP on
  // veth: generic XDP does not touch those counters. xdp_redirect is still attached when
  // histograms need its stacks.
  std::optional<CounterDevice> redirect_counter_device;
  // Generic XDP: the XSK redirect count is the exact count of consume_skb calls from
  // xdp_do_generic_redirect(_map), which frees the skb once after each successful XSKMAP redirect
  // and for no other target (net/core/filter.c, xdp_do_generic_redirect_map) — one event per
  // packet instead of two. xdp:xdp_redirect is still attached when histograms need its stacks.
  bool redirect_from_generic_frees = false;
  // System calls of the pid scope's processes, counted by per-thread perf counters on the
  // raw_syscalls:sys_enter tracepoint (no program on every system call of the machine).
  bool syscalls = true;
  // Exact counts at the copy functions with BPF kprobes, when probe_kprobes() says the kernel
  // allows them (otherwise the ledger's kprobe lines say why they are unavailable).
  bool kprobes = true;
  // Pids are added with add_pid() after start() (e.g. processes spawned later): scope by pid
  // even though ScopeSpec::pids is empty at start().
  bool pids_added_later = false;
};

// The cross-check configurations copylab's commands and benches use, cheapest first:
//   kLedger        the exact copy ledger only (counters; no stacks, samples or path markers)
//   kLedgerStacks  + stack histograms on a sample (1 event in 64): where the packets went
//   kPaced         + path markers, payload address samples and cpu-clock copy-site sampling at
//                    ~1 kHz, without syscall counts (compare's paced runs: the rate is fixed, so
//                    the cost shows in latency only)
//   kFull          everything, stacks of every event (copylab hist)
enum class CheckTier { kLedger, kLedgerStacks, kPaced, kFull };
const char* to_string(CheckTier t) noexcept;
CrossCheckOptions cross_check_options(CheckTier t);

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

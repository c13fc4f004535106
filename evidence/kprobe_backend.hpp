// The kprobe backend of the cross-check: exact counts at the copy functions themselves
// (copy_kprobes.bpf.c), used automatically when probe_kprobes() says the kernel allows kprobes.
// Each copy site is attached where this kernel lets it: on the function, or (for a notrace copy
// function such as _copy_from_iter on 6.1) on the `call` instructions that reach it. A site that
// could not be attached gives an unavailable ledger line with the reason, never a zero.
//
//   KprobeBackend kp(KprobeScope{pid_fd, netns_fd, true, false});   // attaches (never throws
//   ... traffic ...                                                   //  for a refusal)
//   kp.detach(); ledger.lines += kp.lines();  status = kp.status();
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "evidence/copy_ledger.hpp"

namespace copylab::trace {

struct KprobeScope {
  int pid_set_fd = -1;    // cross_check's scope_pid_set (shared, so forks followed there count)
  int netns_set_fd = -1;  // cross_check's scope_netns_set
  bool pids = false;
  bool netns = false;
};

// One copy site: where it was attached, or why not.
struct KprobeSiteStatus {
  std::string site;     // "COPY #1 _copy_from_iter"
  bool attached = false;
  std::string where;    // "_copy_from_iter" or "ip_generic_getfrag+0x4d (call _copy_from_iter)"
  std::string detail;   // why not / what else was tried (inlined, notrace...)
  std::string how;      // "exact at the copy function (kprobe _copy_from_iter)"
};

class KprobeBackend {
 public:
  // Loads and attaches; never throws for what the kernel refuses (active() is false then and
  // reason() says why).
  explicit KprobeBackend(const KprobeScope& scope);
  KprobeBackend(const KprobeBackend&) = delete;
  KprobeBackend& operator=(const KprobeBackend&) = delete;
  ~KprobeBackend();

  bool active() const noexcept;           // at least one site attached
  const std::string& reason() const noexcept;  // why nothing runs ("" when active)
  const std::vector<KprobeSiteStatus>& sites() const noexcept;
  std::string describe() const;           // one line for the backends list
  void detach() noexcept;                 // the numbers are final from here on
  std::vector<LedgerLine> lines() const;  // read after detach()

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The kprobe ledger lines when the backend cannot run at all: every line unavailable with
// "kprobe backend: unavailable (<reason>)".
std::vector<LedgerLine> kprobe_lines_unavailable(const std::string& reason);

}  // namespace copylab::trace

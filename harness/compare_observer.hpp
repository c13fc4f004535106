// The seam between `copylab compare` and the in-kernel cross-check (evidence/): attached around
// every run, it scopes itself to the run's processes and namespaces, and afterwards turns the
// evidence of all runs into the copy verdict table.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "evidence/cross_check.hpp"
#include "harness/compare_outcome.hpp"
#include "harness/compare_runner.hpp"

namespace copylab {

class CompareObserver : public RunObserver {
 public:
  // What the report says about its evidence: attached and what it measures, or why not.
  virtual ObserverStatus status() const = 0;
  // The copy verdicts from every run's evidence (after complete_run).
  virtual CopyVerdicts summarize(const std::vector<RunRecord>& runs) = 0;
  // Adds to one run what needs the run's own counts (sent/received are known only after the
  // tools' results are read): checks of the evidence against them, per-packet lines.
  virtual void complete_run(RunRecord& run) const { (void)run; }
};

// Tells the observer which run comes next: paced runs carry copy-site sampling (and, for a pair
// with a socket side, the socket path's markers and payload samples); unpaced runs only the exact
// ledger (its cost is lower).
void set_observer_run(CompareObserver& observer, const PairSpec& pair, const std::string& phase);

// Refuses an unavailable explicit backend before anything is set up (`--backend kmod` where the
// kernel has no modules/kprobes): Error with the reason and the fix, exit 3.
void check_compare_backend(const CompareOptions& opts);

// The BPF cross-check scoped to each run on `topo`; with `tier`, that configuration in every run
// (the benches), else the ledger in unpaced runs and kPaced in paced ones (set_observer_run).
std::unique_ptr<CompareObserver> make_trace_observer(const TopologyConfig& topo, XdpMode xdp_mode,
                                                     std::optional<trace::CheckTier> tier);

// The backend `opts.backend` asks for, as far as this kernel allows; never null.
std::unique_ptr<CompareObserver> make_compare_observer(const CompareOptions& opts,
                                                       const TopologyConfig& topo);

}  // namespace copylab

// Runs one (pair, phase) of `copylab compare`: the receiver in namespace B, the sender in A, both
// as copylab's own tools (so each side is one process the cross-check can scope to), with the
// kernel counters of both namespaces read before and after.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "evidence/compare_checks.hpp"
#include "evidence/loss_accounting.hpp"
#include "evidence/run_counts.hpp"
#include "harness/compare_spec.hpp"
#include "harness/run_evidence.hpp"

namespace copylab {

// Attached around each run when a cross-check backend is available: told the experiment's pids
// before traffic starts, asked for its evidence afterwards.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void before_traffic(pid_t receiver, pid_t sender) = 0;
  virtual RunEvidence after_traffic() = 0;
};

// What the cross-check cost this run: the same run once more without it, just before, on the
// same topology (received frames/s for the unpaced phase, one-way p50 for the paced one).
struct OverheadCalibration {
  std::optional<double> pps_without, pps_with;
  std::optional<double> one_way_p50_us_without, one_way_p50_us_with;
  std::optional<double> pps_ratio() const;  // with / without
  std::optional<double> p50_ratio() const;  // with / without
};

struct RunRecord {
  PairSpec pair;
  PhaseSpec phase;
  RunCounts counts;             // the tools' results and the kernel's counters, as fields
  nlohmann::json sender_doc;    // the sender tool's JSON as it wrote it: the report embeds it
  nlohmann::json receiver_doc;  // the receiver tool's JSON as it wrote it
  RunEvidence evidence;         // the observer's result (cross-check), monostate when none
  std::vector<CheckRow> checks;
  std::optional<LossAccount> loss;  // explain_loss: where the lost frames went
  std::optional<OverheadCalibration> overhead;  // set by calibrate_overhead
  double wall_s = 0;
};

// Seconds without a frame, after everything upstream has finished, that end a tool's drain (the
// receiver's; a middle box's forwarder's): what the kernel still holds (socket buffer, XSK ring,
// backlog) arrives well within it.
inline constexpr double kDrainQuietS = 1.0;

// A middle box between A and B (copylab forward): the sender's view of the topology (it
// addresses M), a name for the run's files, and the box started once the receiver is ready and
// stopped once the sender has finished, before the receiver is told to drain: `stop` returns once
// M has forwarded what it still held and exited, so a box that fell behind (a stalled or starved
// forwarder with a full socket buffer) delivers the rest to B instead of dropping it on exit.
struct MiddleBox {
  TopologyConfig sender_topology;
  std::string tag;
  std::function<void()> start;
  std::function<void()> stop;
};

RunRecord run_compare_phase(const TopologyConfig& topo, const PairSpec& pair,
                            const PhaseSpec& phase, const CompareOptions& opts,
                            const std::string& work_dir, RunObserver* observer,
                            const std::function<void(const std::string&)>& progress,
                            const MiddleBox* middle = nullptr);

// Fills r.overhead from a run of the same pair and phase without any observer (`bare`).
void calibrate_overhead(RunRecord& r, const RunRecord& bare);

nlohmann::json to_json(const OverheadCalibration& c);
nlohmann::json to_json(const RunRecord& r);

}  // namespace copylab

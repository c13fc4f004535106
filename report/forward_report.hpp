// What one `copylab forward` found, and how it is shown: a table per phase (forwarded pps, CPU
// per packet in M, one-way latency A -> M -> B, the ledger in M), the checks against M's
// counters, the kernel copies AF_XDP's copy mode does instead, and the versioned JSON document
// (schema copylab.forward/1, keys listed in report/FORWARD_JSON.md).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/compare_outcome.hpp"
#include "harness/forward_runner.hpp"
#include "netns/topology.hpp"

namespace copylab {

inline constexpr const char* kForwardSchema = "copylab.forward/1";

struct ForwardOutcome {
  TopologyConfig topology;
  std::uint64_t payload_bytes = 0;
  ObserverStatus cross_check;
  std::vector<ForwardRecord> runs;
  std::vector<std::string> notes;
};

// Checks in M that failed, plus A -> B checks that failed (compare's own).
int failed_forward_checks(const ForwardOutcome& o);
// The forwarded pps of `kind` over the relay's in `phase` (nullopt when either is missing).
std::optional<double> pps_ratio_to_relay(const ForwardOutcome& o, ForwarderKind kind,
                                         const std::string& phase);

std::string render_forward_report(const ForwardOutcome& o);
// {schema, tool, topology, payload_bytes, cross_check, runs: [...], forwarded_pps_ratios,
// checks_failed, notes}, with compare's
// key renames (a unit in every name that has one).
nlohmann::json forward_document(const ForwardOutcome& o);

}  // namespace copylab

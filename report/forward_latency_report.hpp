// What `copylab forward --latency` found, and how it is shown: the RTT through M per forwarder
// (the percentile block of `copylab latency`: median of the repetitions, min-max across them),
// the one-way time A -> M -> B, the packet counts, the checks, and the JSON document (schema
// copylab.forward/1 with mode "latency", keys listed in report/FORWARD_JSON.md).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "harness/forward_latency.hpp"
#include "latency/options.hpp"
#include "netns/topology.hpp"

namespace copylab {

struct ForwardLatencyOutcome {
  TopologyConfig topology;
  std::size_t payload_bytes = 0;
  LatencyOptions options;  // the ends' counts, repetitions and CPUs as run
  int cpu_m = 1;
  std::vector<ForwardLatencyRecord> records;
  std::vector<std::string> notes;
};

// RTT p50 (median of repetitions) of `r` over the relay's with the same ends; nullopt when the
// relay did not run or either is missing.
std::optional<double> rtt_p50_ratio_to_relay(const ForwardLatencyOutcome& o,
                                             const ForwardLatencyRecord& r);

std::string render_forward_latency_report(const ForwardLatencyOutcome& o);
nlohmann::json forward_latency_document(const ForwardLatencyOutcome& o);

}  // namespace copylab

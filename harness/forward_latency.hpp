// `copylab forward --latency`: the ping-pong of `copylab latency` through the middle box. The
// ping runs in A, the pong in B, and M's forwarder (relay or AF_XDP, started two-way) carries
// each ping to B and each echo back to A. Every repetition starts its own forwarder, so a run
// ends with the forwarder's own count of what it carried and its UMEM accounting.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "evidence/compare_checks.hpp"
#include "harness/forward_spec.hpp"
#include "latency/modes.hpp"
#include "latency/results.hpp"
#include "netns/topology.hpp"

namespace copylab {

// The two ends' views of the three-namespace topology for `kind`: the ping's next hop is M's
// ingress device, the pong's M's egress device; the relay terminates UDP, so the ping addresses
// M's ingress address and the pong answers M's egress address.
struct EndViews {
  TopologyConfig ping, pong;
};
EndViews end_views(const TopologyConfig& t, ForwarderKind kind);

// One (forwarder, ends' mode): its repetitions summarised as `copylab latency` does, and what
// the forwarders said.
struct ForwardLatencyRecord {
  explicit ForwardLatencyRecord(int digits) : result(digits) {}
  ForwarderKind kind = ForwarderKind::kRelay;
  std::string ends;             // the latency mode of A's ping and B's pong
  ConfigResult result;          // result.mode = the forwarder's id
  std::uint64_t forwarded = 0;  // both ways, summed over repetitions
  std::uint64_t pings = 0;      // sent by A, warm-up included, summed over repetitions
  std::vector<nlohmann::json> forwarder_docs;  // each repetition's forwarder JSON
  std::vector<CheckRow> checks;
};

// Runs every (ends' mode, forwarder) `opts.latency.reps` times, repetitions interleaved.
std::vector<ForwardLatencyRecord> run_forward_latency(
    const TopologyConfig& topo, const std::vector<ModeSpec>& ends, const ForwardOptions& opts,
    const std::string& work_dir, const std::function<void(const std::string&)>& progress);

// How many of the records' checks failed (a mismatch, or a value that could not be read).
int failed_latency_checks(const std::vector<ForwardLatencyRecord>& records);

nlohmann::json to_json(const ForwardLatencyRecord& r);

}  // namespace copylab

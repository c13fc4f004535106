// The one receiver loop: takes payloads from any datapath, validates them (loss, duplicates,
// reordering, corruption), records one-way latency, prints a line per second.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "datapath/datapath.hpp"
#include "packet/validator.hpp"
#include "traffic/run_report.hpp"
#include "traffic/traffic_config.hpp"

namespace copylab {

struct SecondStats {
  double t_s = 0;  // seconds since the first frame
  std::uint64_t frames = 0;
  double pps = 0;
  double frame_mbit_s = 0;
  std::uint64_t total = 0, gaps = 0, reordered = 0, corrupt = 0, duplicates = 0;
};

struct ReceiveResult {
  ValidatorCounts counts;
  std::uint64_t lost = 0;        // against --count when given, else gaps in the sequence
  bool loss_from_count = false;  // which of the two `lost` is
  double active_s = 0;           // first frame to last frame
  // "count", "duration", "idle", "signal"; with --stop-after-file "drain" (the sender finished
  // and no frame came for the quiet period) or "drain bound" (frames kept coming).
  std::string stopped_by;
  double drained_s = 0;          // stop file seen → exit (0 when never seen)
  CpuTimes cpu;
  LatencySummary one_way;
  std::vector<SecondStats> per_second;
  double pps() const {
    return active_s > 0 ? static_cast<double>(counts.unique) / active_s : 0;
  }
};

// `on_second` is called once per second while frames flow (the tools print it).
ReceiveResult run_receiver(Datapath& dp, const TrafficConfig& cfg, const ReceiverLimits& limits,
                           const std::function<void(const SecondStats&)>& on_second = {});
nlohmann::json to_json(const ReceiveResult& r, const TrafficConfig& cfg);
std::string format_second(const SecondStats& s);

}  // namespace copylab

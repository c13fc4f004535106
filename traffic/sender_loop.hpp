// The one sender loop: generates the payload stream (sequence, send timestamp, fill) into
// whatever buffer the datapath offers, paced and bounded by count/duration/signal.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "datapath/datapath.hpp"
#include "traffic/run_report.hpp"
#include "traffic/traffic_config.hpp"

namespace copylab {

struct SendResult {
  std::uint64_t sent = 0;           // frames handed to the kernel
  std::uint64_t in_flight_end = 0;  // still queued/uncompleted when the drain gave up
  double elapsed_s = 0;
  std::string stopped_by;           // "count", "duration" or "signal"
  CpuTimes cpu;
  double pps() const { return elapsed_s > 0 ? static_cast<double>(sent) / elapsed_s : 0; }
};

SendResult run_sender(Datapath& dp, const TrafficConfig& cfg);
nlohmann::json to_json(const SendResult& r, const TrafficConfig& cfg);

}  // namespace copylab

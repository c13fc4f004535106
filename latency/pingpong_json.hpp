// A ping's or a pong's result as JSON and back: what a side run in its own process (the DPDK
// tool dpdk_pingpong: one EAL per process) hands to `copylab latency`, histograms included.
// The kernel RX split travels as its reason only: such a side's datapath has no kernel RX
// timestamp to split at.
#pragma once

#include <nlohmann/json.hpp>

#include "latency/pingpong.hpp"

namespace copylab {

nlohmann::json to_json(const PingResult& r);
nlohmann::json to_json(const PongResult& r);
// Throw Error naming what is missing for a document to_json did not write.
PingResult ping_result_from_json(const nlohmann::json& j, int digits);
PongResult pong_result_from_json(const nlohmann::json& j, int digits);

}  // namespace copylab

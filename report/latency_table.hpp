// The terminal view of a latency experiment: the modes side by side (one row each) with the
// spread across repetitions and the ratio to the socket-blocking baseline, then the sweeps.
#pragma once

#include <string>

#include "latency/results.hpp"

namespace copylab {

std::string render_latency_table(const LatencyResults& r);

}  // namespace copylab

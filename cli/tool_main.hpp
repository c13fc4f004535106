// The frame every sender/receiver tool shares: options (common, traffic, output, the
// datapath's own), privileges/pinning, building the datapath, readiness, the JSON document.
// A tool supplies only its loop, which returns the "result" part and whether a signal ended it.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "cli/options_traffic.hpp"
#include "datapath/datapath.hpp"
#include "traffic/run_output.hpp"
#include "traffic/traffic_config.hpp"

namespace copylab {

struct DatapathBinding {
  std::function<void(CLI::App&)> add_options;
  // Validates the datapath's options against the traffic (payload vs frame/MTU...) and builds it.
  std::function<std::unique_ptr<Datapath>(const TrafficConfig&)> make;
  // Whether the datapath, as its options set it, spins (polls without sleeping) while it waits
  // for data; unset: it does (DPDK's poll-mode driver). A receiver's --sched-fifo needs one that
  // sleeps.
  std::function<bool()> spins;
};

struct ToolLoopResult {
  nlohmann::json result;
  bool stopped_by_signal = false;
};

struct ToolSpec {
  const char* name;
  const char* description;
  bool sender;
  // Extra options of this kind of tool (receiver limits, --start-after-file...).
  std::function<void(CLI::App&, RunOutputOptions&)> add_options;
  // Runs after the datapath is ready and signalled.
  std::function<ToolLoopResult(Datapath&, const TrafficConfig&, const RunOutputOptions&)> loop;
};

int datapath_tool_main(int argc, char** argv, const ToolSpec& spec, const DatapathBinding& binding);

}  // namespace copylab

// The body of every sender tool (xdp_sender, sock_sender): options, datapath, the shared sender
// loop, summary and JSON. A tool only says how to add its datapath's options and build it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

#include "datapath/datapath.hpp"
#include "traffic/traffic_config.hpp"

namespace copylab {

struct DatapathBinding {
  std::function<void(CLI::App&)> add_options;
  // Validates the datapath's options against the traffic (payload vs frame/MTU...) and builds it.
  std::function<std::unique_ptr<Datapath>(const TrafficConfig&)> make;
};

int sender_tool_main(int argc, char** argv, const char* name, const char* description,
                     const DatapathBinding& binding);

}  // namespace copylab

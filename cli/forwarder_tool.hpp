// The body of both middle-box tools (xdp_forwarder, sock_forwarder): the common options, --count
// --duration --cpu --sched-fifo --ready-file --no-per-second, building the forwarder, the forwarding loop
// with a stats line per second, and the JSON document (mode, result, counters) at the end.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

#include "datapath/forwarder.hpp"

namespace copylab {

struct ForwarderToolSpec {
  const char* name;
  const char* description;
  // The forwarder's own options.
  std::function<void(CLI::App&)> add_options;
  // Whether the parsed options make the forwarder spin instead of waiting in poll(2)
  // (--sched-fifo refuses a spinning forwarder).
  std::function<bool()> spins;
  // Validates the options and builds the forwarder (in the calling thread's namespace).
  std::function<std::unique_ptr<Forwarder>()> make;
};

int forwarder_tool_main(int argc, char** argv, const ForwarderToolSpec& spec);

}  // namespace copylab

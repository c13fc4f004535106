// The body of every receiver tool (xdp_receiver, sock_receiver): options, datapath, the shared
// receiver loop with per-second stats, summary and JSON.
#pragma once

#include "cli/tool_main.hpp"

namespace copylab {

int receiver_tool_main(int argc, char** argv, const char* name, const char* description,
                       const DatapathBinding& binding);

}  // namespace copylab

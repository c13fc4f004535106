// The body of every sender tool (xdp_sender, sock_sender): the shared tool frame with the
// shared sender loop. A tool only says how to add its datapath's options and build it.
#pragma once

#include "cli/tool_main.hpp"

namespace copylab {

int sender_tool_main(int argc, char** argv, const char* name, const char* description,
                     const DatapathBinding& binding);

}  // namespace copylab

// One `copylab compare` run as its checks and its loss accounting read it: which datapath each
// side used, how many frames the sender was asked for, what each tool reported and what the
// kernel's counters in both namespaces counted over the run.
#pragma once

#include <cstdint>

#include "evidence/kernel_counters.hpp"
#include "evidence/tool_result.hpp"

namespace copylab {

struct RunCounts {
  bool af_xdp_tx = false;  // the sender used AF_XDP (else a UDP socket)
  bool af_xdp_rx = false;  // the receiver used AF_XDP (else a UDP socket)
  std::uint64_t asked = 0;  // frames the sender was asked to send
  ToolResult sender;
  ToolResult receiver;
  KernelCountersDelta kernel;
};

}  // namespace copylab

// The AF_XDP datapath: a UMEM, one XSK socket on a device queue, and (when receiving) the
// steering program that redirects the experiment's UDP port into it. Frames are built and parsed
// in place in UMEM frames; nothing is copied in user space.
#pragma once

#include <memory>

#include "datapath/datapath.hpp"
#include "xdp/af_xdp_config.hpp"

namespace copylab {

// Builds the datapath in the calling thread's network namespace. Call validate(cfg, payload)
// first for option errors; this throws Error for what only the kernel can refuse (zero-copy on
// veth, a queue that doesn't exist, someone else's XDP program on the device).
std::unique_ptr<Datapath> make_af_xdp_datapath(const AfXdpConfig& cfg);

}  // namespace copylab

// The two devices of a middle-box forwarder (the socket relay and the AF_XDP forwarder alike),
// checked once where their options enter, with one set of messages: two different devices, both
// in the calling thread's network namespace, and an egress MTU that carries what the ingress takes.
#pragma once

#include <string>

namespace copylab {

struct ForwarderMtus {
  unsigned in = 0;
  unsigned out = 0;
};

// Throws Error (kExitUsage) naming --in-dev / --out-dev and the fix; returns both MTUs.
ForwarderMtus check_forwarder_devices(const std::string& in_dev, const std::string& out_dev);

}  // namespace copylab

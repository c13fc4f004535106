// XDP and AF_XDP on one device, probed for real: attach a trivial XDP_PASS program in native and
// in generic mode (read the mode back, detach), bind AF_XDP sockets in copy mode, zero-copy mode
// and with need_wakeup (read XDP_OPTIONS back). Without a device, a temporary veth pair in
// temporary namespaces (netns/Topology) is made and removed.
#pragma once

#include <string>

#include "evidence/capabilities.hpp"

namespace copylab::trace {

// `device` "" → temporary veth. `netns` "" → the caller's namespace. Never replaces an XDP
// program already on the device (reports it instead).
DeviceCapabilities probe_device(const std::string& device, const std::string& netns);

}  // namespace copylab::trace

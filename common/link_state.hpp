// Whether a network device can carry traffic right now, checked before a tool binds to it: a
// device that is down (or a veth whose peer is down) would otherwise give a run that receives
// nothing and still exits 0.
#pragma once

#include <string>

namespace copylab {

// Throws Error(kExitUsage) when `dev` (in the calling thread's namespace; `where` names that
// namespace for the message) is administratively down or has no carrier. Does nothing when the
// device does not exist (the caller's own lookup reports that).
void require_link_up(const std::string& dev, const std::string& where);

}  // namespace copylab

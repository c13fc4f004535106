#include "harness/forward_spec.hpp"

#include "common/error.hpp"

namespace copylab {

const char* to_string(ForwarderKind k) noexcept {
  switch (k) {
    case ForwarderKind::kRelay: return "relay";
    case ForwarderKind::kXskNative: return "xsk_native";
    case ForwarderKind::kXskGeneric: return "xsk_generic";
  }
  return "?";
}

const char* forwarder_tool(ForwarderKind k) noexcept {
  return k == ForwarderKind::kRelay ? "sock_forwarder" : "xdp_forwarder";
}

bool is_xsk(ForwarderKind k) noexcept { return k != ForwarderKind::kRelay; }

ForwarderKind parse_forwarder_kind(const std::string& s) {
  for (const ForwarderKind k :
       {ForwarderKind::kRelay, ForwarderKind::kXskNative, ForwarderKind::kXskGeneric}) {
    if (s == to_string(k)) return k;
  }
  throw Error("--forwarders: '" + s + "' is not one of relay, xsk_native, xsk_generic",
              "e.g. --forwarders relay,xsk_native", kExitUsage);
}

PairSpec forward_pair() { return {PathKind::kAfXdp, PathKind::kSocket}; }

}  // namespace copylab

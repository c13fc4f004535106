#include "latency/sides.hpp"

#include "common/error.hpp"

namespace copylab {

bool side_available(SideKind kind) noexcept {
  switch (kind) {
    case SideKind::kSocket:
#ifdef HAVE_COPYLAB_SOCK
      return true;
#else
      return false;
#endif
    case SideKind::kAfXdp:
#ifdef HAVE_COPYLAB_XDP
      return true;
#else
      return false;
#endif
    case SideKind::kXdpTxReflector:
      return true;
  }
  return false;
}

std::unique_ptr<Datapath> make_side_datapath(const SideSpec& spec, const SideContext& ctx) {
  (void)ctx;
  throw Error(std::string("the ") + to_string(spec.kind) + " datapath is not in this build",
              "build copylab with sock/ and xdp/ (they provide the socket and AF_XDP datapaths)",
              kExitUnsupported);
}

}  // namespace copylab

#include "datapath/forwarder_devices.hpp"

#include <net/if.h>

#include "common/error.hpp"
#include "packet/payload_size.hpp"

namespace copylab {
namespace {

void require_device(const std::string& option, const std::string& dev) {
  if (dev.empty() || dev.size() >= IFNAMSIZ || if_nametoindex(dev.c_str()) == 0) {
    throw Error("no interface '" + dev + "' (" + option + ") in this network namespace",
                "check ip link, and run the forwarder in the middle box's namespace (ip netns "
                "exec <M> ...)",
                kExitUsage);
  }
}

}  // namespace

ForwarderMtus check_forwarder_devices(const std::string& in_dev, const std::string& out_dev) {
  if (in_dev == out_dev) {
    throw Error("--in-dev and --out-dev are both " + in_dev +
                    ": a forwarder takes frames in on one device and sends them out of another",
                "name M's ingress device (A's peer) with --in-dev and its egress device (B's peer) "
                "with --out-dev",
                kExitUsage);
  }
  require_device("--in-dev", in_dev);
  require_device("--out-dev", out_dev);
  const ForwarderMtus m{device_mtu(in_dev), device_mtu(out_dev)};
  if (m.out < m.in) {
    throw Error("--out-dev " + out_dev + " has MTU " + std::to_string(m.out) +
                    ", smaller than --in-dev " + in_dev + "'s " + std::to_string(m.in) +
                    ": frames " + in_dev + " takes in could not leave " + out_dev + " whole",
                "raise it (ip link set dev " + out_dev + " mtu " + std::to_string(m.in) +
                    ") or lower " + in_dev + "'s",
                kExitUsage);
  }
  return m;
}

}  // namespace copylab

#include "common/link_state.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "common/error.hpp"

namespace copylab {

namespace {

// The carrier as the driver reports it now: ETHTOOL_GLINK is netif_carrier_ok() for drivers using
// ethtool_op_get_link (veth among them). IFF_RUNNING is not used: it follows the operstate, which
// the kernel's linkwatch work updates later (net/core/link_watch.c), so a veth pair that was just
// brought up can still read "not running" for up to a second. nullopt: the driver cannot say.
std::optional<bool> carrier_now(int fd, const std::string& dev) {
  ethtool_value link{};
  link.cmd = ETHTOOL_GLINK;
  ifreq req{};
  std::strncpy(req.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  req.ifr_data = reinterpret_cast<char*>(&link);
  if (ioctl(fd, SIOCETHTOOL, &req) != 0) return std::nullopt;
  return link.data != 0;
}

}  // namespace

void require_link_up(const std::string& dev, const std::string& where) {
  if (dev.empty() || dev.size() >= IFNAMSIZ) return;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ifreq req{};
  std::strncpy(req.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  const int rc = ioctl(fd, SIOCGIFFLAGS, &req);
  const std::optional<bool> carrier = rc == 0 ? carrier_now(fd, dev) : std::nullopt;
  close(fd);
  if (rc != 0) return;
  const std::string at = where.empty() ? "" : " in " + where;
  if ((req.ifr_flags & IFF_UP) == 0) {
    throw Error("device " + dev + at + " is down (IFF_UP clear): nothing can be sent or received",
                "bring it up: ip " + std::string(where.empty() ? "" : "-n " + where + " ") +
                    "link set dev " + dev + " up",
                kExitUsage);
  }
  // A veth has carrier only while its peer is up too (veth_open).
  if (carrier.has_value() && !*carrier) {
    throw Error("device " + dev + at + " is up but has no carrier (for a veth: its peer is down)",
                "bring its peer up (ip link set dev <peer> up in the peer's namespace)",
                kExitUsage);
  }
}

}  // namespace copylab

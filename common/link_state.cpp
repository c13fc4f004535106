#include "common/link_state.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/error.hpp"

namespace copylab {

void require_link_up(const std::string& dev, const std::string& where) {
  if (dev.empty() || dev.size() >= IFNAMSIZ) return;
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ifreq req{};
  std::strncpy(req.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  const int rc = ioctl(fd, SIOCGIFFLAGS, &req);
  close(fd);
  if (rc != 0) return;
  const std::string at = where.empty() ? "" : " in " + where;
  if ((req.ifr_flags & IFF_UP) == 0) {
    throw Error("device " + dev + at + " is down (IFF_UP clear): nothing can be sent or received",
                "bring it up: ip " + std::string(where.empty() ? "" : "-n " + where + " ") +
                    "link set dev " + dev + " up",
                kExitUsage);
  }
  // IFF_RUNNING is the carrier; a veth has it only while its peer is up too (veth_open).
  if ((req.ifr_flags & IFF_RUNNING) == 0) {
    throw Error("device " + dev + at + " is up but has no carrier (IFF_RUNNING clear; for a veth: its peer is down)",
                "bring its peer up (ip link set dev <peer> up in the peer's namespace)",
                kExitUsage);
  }
}

}  // namespace copylab

#include "packet/payload_size.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace copylab {

void check_payload_size(const std::string& option, std::size_t size) {
  if (size >= kMinPayloadSize && size <= kMaxPayloadSize) return;
  const std::string range = std::to_string(kMinPayloadSize) + ".." + std::to_string(kMaxPayloadSize);
  throw Error(option + " " + std::to_string(size) + " is outside " + range +
                  " (a payload holds copylab's " + std::to_string(kMinPayloadSize) +
                  "-byte header and fits one IPv4 datagram)",
              "give " + option + " a whole number from " + range, kExitUsage);
}

unsigned device_mtu(const std::string& dev) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket(AF_INET, SOCK_DGRAM)", "MTU of " + dev, errno);
  ifreq req{};
  std::strncpy(req.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  const int rc = ioctl(fd, SIOCGIFMTU, &req);
  const int err = errno;
  close(fd);
  if (rc != 0) throw_errno("ioctl(SIOCGIFMTU)", dev, err, "check the device exists (ip link)");
  return static_cast<unsigned>(req.ifr_mtu);
}

void check_payload_fits_mtu(std::size_t size, unsigned mtu, const std::string& what,
                            const std::string& raise_hint, const std::string& option) {
  const std::size_t most = max_payload_for_mtu(mtu);
  if (size <= most) return;
  throw Error(option + " " + std::to_string(size) + " plus " + std::to_string(kIpUdpHeaderLen) +
                  " bytes of IPv4/UDP headers exceeds the MTU " + std::to_string(mtu) + " of " + what +
                  " (at most " + std::to_string(most) + " payload bytes; no fragmentation)",
              "use " + option + " " + std::to_string(most) + " or less, or " + raise_hint, kExitUsage);
}

void check_payload_fits(const std::string& dev, std::size_t size, const std::string& option) {
  check_payload_fits_mtu(size, device_mtu(dev), dev,
                         "raise the MTU (ip link set dev " + dev + " mtu N)", option);
}

}  // namespace copylab

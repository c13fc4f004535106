#include "xdp/device.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace copylab {
namespace {

// Any socket will do for the interface ioctls; it resolves names in the thread's namespace.
class IoctlSocket {
 public:
  IoctlSocket() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw_errno("socket(AF_INET)", "interface query", errno);
  }
  IoctlSocket(const IoctlSocket&) = delete;
  IoctlSocket& operator=(const IoctlSocket&) = delete;
  ~IoctlSocket() { close(fd_); }
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

ifreq make_ifreq(std::string_view dev) {
  ifreq ifr{};
  const std::size_t n = std::min(dev.size(), sizeof(ifr.ifr_name) - 1);
  std::memcpy(ifr.ifr_name, dev.data(), n);
  return ifr;
}

}  // namespace

int ifindex_of(std::string_view dev) {
  const std::string name(dev);
  if (name.empty() || name.size() >= IFNAMSIZ) {
    throw Error("--dev '" + name + "' is not a valid interface name",
                "give the veth's name as shown by ip link, e.g. --dev veth1", kExitUsage);
  }
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) {
    throw Error("no interface " + name + " in this network namespace",
                "check the name with ip link (inside the namespace: ip netns exec <ns> ip link), "
                "or create the pair with netns/setup.sh",
                kExitUsage);
  }
  return static_cast<int>(index);
}

DeviceInfo query_device(std::string_view dev) {
  DeviceInfo info;
  info.name = std::string(dev);
  info.ifindex = ifindex_of(dev);
  IoctlSocket sock;
  ifreq ifr = make_ifreq(dev);
  if (ioctl(sock.fd(), SIOCGIFMTU, &ifr) != 0) throw_errno("ioctl(SIOCGIFMTU)", info.name, errno);
  info.mtu = static_cast<unsigned>(ifr.ifr_mtu);
  ifr = make_ifreq(dev);
  if (ioctl(sock.fd(), SIOCGIFHWADDR, &ifr) != 0)
    throw_errno("ioctl(SIOCGIFHWADDR)", info.name, errno);
  std::memcpy(info.mac.bytes.data(), ifr.ifr_hwaddr.sa_data, info.mac.bytes.size());

  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  ifr = make_ifreq(dev);
  ifr.ifr_data = reinterpret_cast<char*>(&ch);  // NOLINT: the ioctl ABI takes a char*
  if (ioctl(sock.fd(), SIOCETHTOOL, &ifr) == 0) info.rx_queues = ch.rx_count + ch.combined_count;

  ethtool_drvinfo drv{};
  drv.cmd = ETHTOOL_GDRVINFO;
  ifr = make_ifreq(dev);
  ifr.ifr_data = reinterpret_cast<char*>(&drv);  // NOLINT: the ioctl ABI takes a char*
  if (ioctl(sock.fd(), SIOCETHTOOL, &ifr) == 0) {
    info.driver.assign(drv.driver, strnlen(drv.driver, sizeof(drv.driver)));
  }
  return info;
}

}  // namespace copylab

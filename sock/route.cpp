#include "sock/route.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "sock/udp_socket.hpp"

namespace copylab {
namespace {

// The netlink attribute/message walking macros are old-style casts; these are the same walks.
const rtattr* first_attr(const rtmsg* rtm) {
  return reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(rtm) + NLMSG_ALIGN(sizeof(rtmsg)));
}

}  // namespace

RouteInfo route_get(Ipv4Addr dst) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) throw_errno("socket(AF_NETLINK)", "route lookup", errno);

  struct Request {
    nlmsghdr nh;
    rtmsg rtm;
    std::array<char, 64> attrs;
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.nh.nlmsg_type = RTM_GETROUTE;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.nh.nlmsg_seq = 1;
  req.rtm.rtm_family = AF_INET;
  req.rtm.rtm_dst_len = 32;
  auto* attr = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.nh.nlmsg_len));
  attr->rta_type = RTA_DST;
  attr->rta_len = static_cast<unsigned short>(RTA_LENGTH(sizeof(dst.be)));
  std::memcpy(reinterpret_cast<char*>(attr) + RTA_LENGTH(0), &dst.be, sizeof(dst.be));
  req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(attr->rta_len);

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), &req, req.nh.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    throw_errno("sendto(RTM_GETROUTE)", dst.str(), errno);
  }
  alignas(nlmsghdr) std::array<char, 8192> buf{};
  ssize_t n = -1;
  do {
    n = recv(fd.get(), buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("recv(RTM_GETROUTE)", dst.str(), errno);

  RouteInfo info;
  auto len = static_cast<std::size_t>(n);
  for (auto* nh = reinterpret_cast<const nlmsghdr*>(buf.data());
       len >= sizeof(nlmsghdr) && nh->nlmsg_len >= sizeof(nlmsghdr) && nh->nlmsg_len <= len;) {
    if (nh->nlmsg_type == NLMSG_ERROR) {
      const auto* err = reinterpret_cast<const nlmsgerr*>(reinterpret_cast<const char*>(nh) + NLMSG_HDRLEN);
      info.error = -err->error;
      return info;
    }
    if (nh->nlmsg_type == RTM_NEWROUTE) {
      const auto* rtm = reinterpret_cast<const rtmsg*>(reinterpret_cast<const char*>(nh) + NLMSG_HDRLEN);
      info.found = true;
      info.type = rtm->rtm_type;
      std::size_t attr_len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(rtmsg));
      for (const rtattr* a = first_attr(rtm); attr_len >= sizeof(rtattr) && a->rta_len >= sizeof(rtattr) &&
                                              a->rta_len <= attr_len;) {
        const char* data = reinterpret_cast<const char*>(a) + RTA_LENGTH(0);
        const std::size_t data_len = a->rta_len - RTA_LENGTH(0);
        if (a->rta_type == RTA_OIF && data_len >= sizeof(int)) std::memcpy(&info.oif, data, sizeof(int));
        if (a->rta_type == RTA_GATEWAY && data_len >= 4) std::memcpy(&info.gateway_be, data, 4);
        if (a->rta_type == RTA_PREFSRC && data_len >= 4) std::memcpy(&info.prefsrc_be, data, 4);
        const std::size_t step = RTA_ALIGN(a->rta_len);
        if (step >= attr_len) break;
        attr_len -= step;
        a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(a) + step);
      }
      return info;
    }
    const std::size_t step = NLMSG_ALIGN(nh->nlmsg_len);
    if (step >= len) break;
    len -= step;
    nh = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(nh) + step);
  }
  info.error = EPROTO;
  return info;
}

}  // namespace copylab

#include "sock/rx_timestamp.hpp"

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <time.h>

#include <cstring>
#include <fstream>

#include "common/error.hpp"

namespace copylab {

namespace {

constexpr unsigned kRxSoftwareFlags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

std::int64_t to_ns(const timespec& ts) noexcept {
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

// net.core.netdev_tstamp_prequeue is a global sysctl that only the initial network namespace
// shows in /proc/sys, while datapaths are made inside the experiment's namespaces: read once at
// program start, before anything enters another namespace (-1: unreadable there too).
const int kTstampPrequeueAtStart = [] {
  int v = -1;
  std::ifstream f("/proc/sys/net/core/netdev_tstamp_prequeue");
  if (!(f >> v)) v = -1;
  return v;
}();

}  // namespace

std::size_t rx_timestamp_control_len() noexcept {
  return CMSG_SPACE(sizeof(scm_timestamping)) + CMSG_SPACE(sizeof(std::uint64_t) * 2);
}

std::string software_rx_timestamp_point() {
  const int prequeue = kTstampPrequeueAtStart;
  if (prequeue < 0) {
    return "net_timestamp_check() (ktime_get_real) as the skb enters the receive path; "
           "net.core.netdev_tstamp_prequeue unreadable, so whether before or after the backlog "
           "queue is unknown";
  }
  if (prequeue != 0) {
    return "net_timestamp_check() (ktime_get_real) before any queueing "
           "(net.core.netdev_tstamp_prequeue=1): netif_rx_internal() for a veth without XDP "
           "(inside the sender's veth_xmit, on the sender's CPU, before the backlog), "
           "netif_receive_skb_list_internal() on veth's NAPI path";
  }
  return "net_timestamp_check() (ktime_get_real) in __netif_receive_skb_core() "
         "(net.core.netdev_tstamp_prequeue=0: after the backlog queue, in the receive softirq)";
}

RxTimestamping enable_software_rx_timestamps(int fd, const std::string& dev) {
  const int flags = kRxSoftwareFlags;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) != 0) {
    throw_errno("setsockopt(SO_TIMESTAMPING, RX_SOFTWARE|SOFTWARE)", dev, errno,
                "run without kernel RX timestamps (--no-rx-timestamps)");
  }
  int got = 0;
  socklen_t len = sizeof(got);
  RxTimestamping t;
  if (getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &got, &len) != 0) {
    throw_errno("getsockopt(SO_TIMESTAMPING)", dev, errno);
  }
  if ((static_cast<unsigned>(got) & kRxSoftwareFlags) != kRxSoftwareFlags) {
    t.why_not = "SO_TIMESTAMPING read back as 0x" + std::to_string(got) +
                " without RX_SOFTWARE|SOFTWARE";
    return t;
  }
  t.enabled = true;
  t.clock = CLOCK_REALTIME;
  t.clock_name = "CLOCK_REALTIME";
  t.source = "SO_TIMESTAMPING = SOF_TIMESTAMPING_RX_SOFTWARE|SOF_TIMESTAMPING_SOFTWARE (read back "
             "with getsockopt), SCM_TIMESTAMPING ts[0] from recvmsg/recvmmsg";
  t.where = software_rx_timestamp_point();
  return t;
}

std::int64_t software_rx_timestamp_ns(const msghdr& msg) noexcept {
  if (msg.msg_control == nullptr || msg.msg_controllen == 0 || (msg.msg_flags & MSG_CTRUNC) != 0) {
    return RxMeta::kNone;
  }
  // CMSG_NXTHDR takes a non-const msghdr; it only reads it.
  auto* m = const_cast<msghdr*>(&msg);
  for (cmsghdr* c = CMSG_FIRSTHDR(m); c != nullptr; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPING) continue;
    if (c->cmsg_len < CMSG_LEN(sizeof(scm_timestamping))) return RxMeta::kNone;
    scm_timestamping ts{};
    std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));  // CMSG_DATA need not be aligned for timespec
    const std::int64_t ns = to_ns(ts.ts[0]);
    return ns > 0 ? ns : RxMeta::kNone;  // ts[0] zero: no software timestamp on this skb
  }
  return RxMeta::kNone;
}

}  // namespace copylab

// sock/rx_timestamp on control messages the kernel really produced: a UDP pair on 127.0.0.1 in a
// private network namespace of a test thread (unshare(CLONE_NEWNET) affects that thread only and
// the namespace disappears with it), so no traffic touches the host's networks.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "sock/rx_timestamp.hpp"
#include "sock/udp_socket.hpp"

using namespace copylab;

namespace {

// How long the kernel may take to switch software RX timestamping on (a workqueue item).
constexpr std::chrono::seconds kStampWait{10};

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

// Runs `body` on a thread in a fresh network namespace with lo up. Returns "" or why not.
std::string in_private_netns(const std::function<void()>& body) {
  std::string why;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      why = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) {
      why = "SIOCGIFFLAGS lo failed";
      return;
    }
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(fd.get(), SIOCSIFFLAGS, &ifr) != 0) {
      why = "SIOCSIFFLAGS lo up failed";
      return;
    }
    body();
  });
  t.join();
  return why;
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

struct Received {
  msghdr msg{};
  std::vector<std::uint8_t> ctrl;
  char data[64] = {};
  iovec iov{};
  ssize_t n = -1;
  explicit Received(std::size_t ctrl_len) : ctrl(ctrl_len) {
    iov = {data, sizeof data};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl.empty() ? nullptr : ctrl.data();
    msg.msg_controllen = ctrl.size();
  }
};

}  // namespace

TEST(SockRxTimestamp, KernelSoftwareTimestampParsesAndLiesBetweenSendAndReceive) {
  std::int64_t before = 0, after = 0, stamped = RxMeta::kNone, unstamped = 0;
  RxTimestamping info;
  std::int64_t truncated = 0;
  const std::string why = in_private_netns([&] {
    UniqueFd rx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    UniqueFd tx(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const sockaddr_in addr = loopback(9123);
    ASSERT_EQ(bind(rx.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);

    // Timestamps off: the kernel attaches nothing, the parser says so.
    ASSERT_EQ(sendto(tx.get(), "a", 1, 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 1);
    Received plain(rx_timestamp_control_len());
    plain.n = recvmsg(rx.get(), &plain.msg, 0);
    ASSERT_EQ(plain.n, 1);
    unstamped = software_rx_timestamp_ns(plain.msg);

    info = enable_software_rx_timestamps(rx.get(), "lo");
    // The kernel switches timestamping on from a workqueue (net_enable_timestamp): the first
    // datagrams may carry none. Send until one is stamped, bounded by time far beyond any
    // workqueue delay of a loaded machine, then check it.
    const auto give_up = std::chrono::steady_clock::now() + kStampWait;
    while (stamped == RxMeta::kNone && std::chrono::steady_clock::now() < give_up) {
      before = realtime_ns();
      ASSERT_EQ(sendto(tx.get(), "b", 1, 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 1);
      Received r(rx_timestamp_control_len());
      r.n = recvmsg(rx.get(), &r.msg, 0);
      after = realtime_ns();
      ASSERT_EQ(r.n, 1);
      stamped = software_rx_timestamp_ns(r.msg);
      if (stamped == RxMeta::kNone) usleep(1000);
    }

    // A control buffer too small for the timestamp: MSG_CTRUNC, reported as none.
    ASSERT_EQ(sendto(tx.get(), "c", 1, 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 1);
    Received small(CMSG_SPACE(4));
    small.n = recvmsg(rx.get(), &small.msg, 0);
    ASSERT_EQ(small.n, 1);
    EXPECT_NE(small.msg.msg_flags & MSG_CTRUNC, 0);
    truncated = software_rx_timestamp_ns(small.msg);
  });
  if (!why.empty()) GTEST_SKIP() << why << " (needs CAP_SYS_ADMIN)";
  EXPECT_EQ(unstamped, RxMeta::kNone);
  EXPECT_TRUE(info.enabled) << info.why_not;
  EXPECT_EQ(info.clock, CLOCK_REALTIME);
  EXPECT_NE(info.where.find("net_timestamp_check"), std::string::npos);
  ASSERT_NE(stamped, RxMeta::kNone) << "no SCM_TIMESTAMPING within " << kStampWait.count() << " s";
  // The kernel took it between our send and our receive, on CLOCK_REALTIME.
  EXPECT_GE(stamped, before);
  EXPECT_LE(stamped, after);
  EXPECT_EQ(truncated, RxMeta::kNone);
}

TEST(SockRxTimestamp, EmptyMessageHasNone) {
  msghdr m{};
  EXPECT_EQ(software_rx_timestamp_ns(m), RxMeta::kNone);
}

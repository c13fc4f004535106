// Frames with wrong checksums, crafted and sent on the veth with an AF_PACKET socket, reach the
// AF_XDP receiver (XDP runs before the kernel checks any checksum). The receiver must judge them
// as the kernel's receive path would: a wrong IPv4 header checksum or a wrong UDP checksum is
// corrupt (the kernel drops both, InCsumErrors), while a zero UDP checksum ("none") and
// CHECKSUM_PARTIAL's pseudo-header sum are good frames. Each bad frame carries a valid payload
// with a sequence number of its own, so accepting one would show as an extra unique frame.
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "packet/checksum.hpp"
#include "packet/frame.hpp"
#include "packet/payload.hpp"
#include "tests/integration/tool_harness.hpp"

using namespace copylab;
using namespace copylab::test;

namespace {

constexpr std::size_t kPayload = 64;
constexpr std::uint64_t kEach = 40;       // frames of each kind
constexpr std::uint64_t kBadSeqBase = 100'000;  // bad frames' sequence numbers start here
constexpr std::size_t kIpCsumOff = kEthHeaderLen + 10;
constexpr std::size_t kUdpCsumOff = kEthHeaderLen + kIpv4HeaderLen + 6;

enum class Kind { kFull, kPartial, kZero, kBadIp, kBadUdp, kBothBad };

void put16(std::vector<std::uint8_t>& f, std::size_t off, std::uint16_t v) {
  f[off] = static_cast<std::uint8_t>(v >> 8);
  f[off + 1] = static_cast<std::uint8_t>(v & 0xffU);
}
std::uint16_t get16(const std::vector<std::uint8_t>& f, std::size_t off) {
  return static_cast<std::uint16_t>(f[off] << 8 | f[off + 1]);
}

std::vector<std::uint8_t> crafted(const TopologyConfig& t, Kind kind, std::uint64_t seq) {
  FrameSpec spec;
  spec.src_mac = t.mac_a;
  spec.dst_mac = t.mac_b;
  spec.src_ip = t.ip_a;
  spec.dst_ip = t.ip_b;
  spec.dst_port = 9999;
  std::vector<std::uint8_t> f(frame_len(kPayload));
  write_payload(frame_payload(f).first(kPayload), seq, 0);
  finalize_frame(f, spec, kPayload);
  // The pseudo-header sum that udp4_hwcsum() (net/ipv4/udp.c) leaves for TX offload to finish.
  std::uint8_t pseudo[12] = {};
  std::memcpy(pseudo, &t.ip_a.be, 4);
  std::memcpy(pseudo + 4, &t.ip_b.be, 4);
  pseudo[9] = 17;
  pseudo[10] = static_cast<std::uint8_t>((kUdpHeaderLen + kPayload) >> 8);
  pseudo[11] = static_cast<std::uint8_t>((kUdpHeaderLen + kPayload) & 0xffU);
  const auto partial = static_cast<std::uint16_t>(~checksum_fold(checksum_partial(pseudo)));
  auto flip = [&](std::size_t off) {
    put16(f, off, static_cast<std::uint16_t>(get16(f, off) ^ 0x0101));
  };
  switch (kind) {
    case Kind::kFull: break;
    case Kind::kPartial: put16(f, kUdpCsumOff, partial); break;
    case Kind::kZero: put16(f, kUdpCsumOff, 0); break;
    case Kind::kBadIp: flip(kIpCsumOff); break;
    case Kind::kBadUdp: flip(kUdpCsumOff); break;
    case Kind::kBothBad:
      flip(kIpCsumOff);
      flip(kUdpCsumOff);
      break;
  }
  return f;
}

// An AF_PACKET socket on `dev` in namespace `ns`: frames go out exactly as given.
class RawSender {
 public:
  RawSender(const std::string& ns, const std::string& dev) {
    NetnsScope in(ns);
    fd_ = ::socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: send only, receive nothing
    if (fd_ < 0) throw_errno("socket(AF_PACKET)", dev, errno, "run the test as root");
    addr_.sll_family = AF_PACKET;
    addr_.sll_ifindex = static_cast<int>(if_nametoindex(dev.c_str()));
    addr_.sll_halen = ETH_ALEN;
    if (addr_.sll_ifindex == 0) {
      ::close(fd_);
      throw_errno("if_nametoindex", dev, errno, "the topology's device must exist");
    }
  }
  ~RawSender() { ::close(fd_); }
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;
  void send(const std::vector<std::uint8_t>& f) {
    const ssize_t n = ::sendto(fd_, f.data(), f.size(), 0,
                               reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
    if (n != static_cast<ssize_t>(f.size())) throw_errno("sendto(AF_PACKET)", "frame", errno);
  }

 private:
  int fd_ = -1;
  sockaddr_ll addr_{};
};

}  // namespace

TEST(CraftedFrames, WrongChecksumsAreCorruptPartialAndZeroAreGood) {
  Topology topo = Topology::create_unique("csum");
  const TopologyConfig& t = topo.config();
  ToolLaunch launch;
  launch.path = af_xdp_path(XdpMode::kNative);
  launch.role = ToolRole::kReceiver;
  launch.dst_port = 9999;
  launch.size = kPayload;
  launch.count = 3 * kEach;
  launch.duration_s = 60;
  launch.per_second = false;
  const LaunchCommand cmd = launch_command(t, launch);
  auto rx = start_tool(cmd.ns, cmd.tool, cmd.args);
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  {
    RawSender tx(t.ns_a, t.dev_a);
    std::uint64_t good_seq = 0, bad_seq = kBadSeqBase;
    // Interleaved, every round ending with a good frame: the receiver stops at the last good one
    // and one veth queue keeps the order, so every bad frame is judged before it stops.
    for (std::uint64_t i = 0; i < kEach; ++i) {
      for (Kind k : {Kind::kBadIp, Kind::kFull, Kind::kBadUdp, Kind::kZero, Kind::kBothBad,
                     Kind::kPartial}) {
        const bool good = k == Kind::kFull || k == Kind::kPartial || k == Kind::kZero;
        tx.send(crafted(t, k, good ? good_seq++ : bad_seq++));
      }
      if (i % 4 == 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // veth's ring
    }
  }
  const ToolRun done = rx.finish(std::chrono::seconds(90));
  ASSERT_EQ(done.exit_code, 0) << done.output;
  ASSERT_TRUE(done.json.is_object()) << done.output;
  const auto& v = done.json["result"]["validator"];
  const auto& c = done.json["counters"];
  EXPECT_EQ(v["received"], 6 * kEach) << done.json.dump(2);
  EXPECT_EQ(v["unique"], 3 * kEach);  // the good ones only
  EXPECT_EQ(v["highest_seq"], 3 * kEach - 1);
  EXPECT_EQ(v["corrupt"], 3 * kEach);
  // IPv4 is judged first: a frame with both wrong counts once, as a bad IP header.
  EXPECT_EQ(c["ip_csum_bad"], 2 * kEach) << c.dump(2);
  EXPECT_EQ(c["udp_csum_bad"], kEach);
  EXPECT_EQ(c["udp_csum_partial"], kEach);
  EXPECT_EQ(c["rx_parse_failures"], 0);
  EXPECT_EQ(attached_xdp(t.ns_b, t.dev_b), "");
}

// sock/: the socket datapath moving real datagrams between two namespaces over a real veth:
// sender thread in namespace A, receiver thread in namespace B, each entered with NetnsScope.
#include <gtest/gtest.h>

#include "tests/integration/ready_wait.hpp"
#include "tests/integration/direction_configs.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "packet/payload.hpp"
#include "packet/validator.hpp"
#include "sock/socket_config.hpp"
#include "sock/socket_datapath.hpp"

using namespace copylab;
using namespace std::chrono_literals;

namespace copylab {
// Readable parameter names in ctest output.
void PrintTo(WaitPolicy w, std::ostream* os) { *os << socket_wait_name(w); }
}  // namespace copylab

namespace {

constexpr std::size_t kPayload = 64;
constexpr std::uint64_t kDatagrams = 10'000;
constexpr auto kRunLimit = 20s;  // every loop is bounded by count AND time
// The sender never runs more than this many datagrams ahead of what the receiver has taken: the
// softirq that moves them across the veth may be deferred to ksoftirqd on a busy machine, and the
// per-CPU backlog (net.core.netdev_max_backlog, 1000 by default) must not overflow meanwhile.
constexpr std::uint64_t kWindow = 256;
// An echo not back within this is missing: a bound on a real loss, not on latency.
constexpr auto kEchoWait = 10s;

SocketConfig sender_config(const TopologyConfig& t, unsigned batch) {
  return copylab::test::socket_sender_config(t, batch, kPayload);
}

SocketConfig receiver_config(const TopologyConfig& t, unsigned batch, WaitPolicy wait) {
  SocketConfig c = copylab::test::socket_receiver_config(t, batch, kPayload);
  c.wait = wait;
  c.busy_poll_usec = 20;
  return c;
}

struct ReceiverResult {
  ValidatorCounts counts;
  bool intact = false;
  nlohmann::json mode;
  nlohmann::json counters;
};

struct SendResult {
  std::uint64_t sent = 0;
  nlohmann::json counters;
};

std::string error_of(const SocketConfig& cfg) {
  try {
    validate(cfg);
  } catch (const Error& e) {
    return e.one_line();
  }
  return "";
}

class SockPair : public ::testing::TestWithParam<std::tuple<unsigned, WaitPolicy>> {};

TEST_P(SockPair, TenThousandDatagramsArriveIntact) {
  const auto [batch, wait] = GetParam();
  Topology topo = Topology::create_unique("sock");
  const TopologyConfig t = topo.config();

  std::promise<void> ready;
  std::atomic<std::uint64_t> received{0};
  // Every datagram or the time bound: no idle timeout, which a stalled softirq could outlast.
  auto receiver = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    const SocketConfig cfg = receiver_config(t, batch, wait);
    validate(cfg);
    SocketDatapath dp(cfg);
    ready.set_value();
    Validator v(kPayload);
    const auto deadline = std::chrono::steady_clock::now() + kRunLimit;
    while (v.counts().unique < kDatagrams && std::chrono::steady_clock::now() < deadline) {
      if (!dp.wait_rx(50ms)) continue;
      dp.receive(256, [&](std::span<const std::uint8_t> p) { v.observe(p); });
      received.store(v.counts().received, std::memory_order_relaxed);
    }
    return ReceiverResult{v.counts(), v.intact(kDatagrams), dp.mode(), dp.counters()};
  });
  copylab::test::wait_until_ready(ready.get_future(), receiver);

  auto sender = std::async(std::launch::async, [&] {
    NetnsScope in_a(t.ns_a);
    const SocketConfig cfg = sender_config(t, batch);
    validate(cfg);
    SocketDatapath dp(cfg);
    std::uint64_t seq = 0;
    const auto deadline = std::chrono::steady_clock::now() + kRunLimit;
    while (seq < kDatagrams && std::chrono::steady_clock::now() < deadline) {
      // Whole batches only, so the number of send calls does not depend on the receiver's pace.
      const std::uint64_t n = std::min<std::uint64_t>(batch, kDatagrams - seq);
      if (seq + n - received.load(std::memory_order_relaxed) > kWindow) {
        dp.flush();
        std::this_thread::yield();
        continue;
      }
      dp.send(n, [&](std::span<std::uint8_t> p) { write_payload(p, seq++, now_ns()); });
    }
    while (dp.flush() > 0 && std::chrono::steady_clock::now() < deadline) {
    }
    return SendResult{seq, dp.counters()};
  });

  const SendResult s = sender.get();
  const ReceiverResult r = receiver.get();
  EXPECT_EQ(s.sent, kDatagrams);
  EXPECT_EQ(s.counters["sent"], kDatagrams);
  EXPECT_EQ(r.counts.unique, kDatagrams);
  EXPECT_EQ(r.counts.corrupt, 0U);
  EXPECT_EQ(r.counts.duplicates, 0U);
  EXPECT_TRUE(r.intact) << r.counters.dump();
  EXPECT_EQ(r.counters["kernel"]["drops"], 0U) << r.counters.dump();
  EXPECT_EQ(r.counters["received"], kDatagrams);
  // The mode is read back from the kernel.
  EXPECT_EQ(r.mode["bound_device"], t.dev_b);
  EXPECT_EQ(r.mode["netns"], t.ns_b);
  EXPECT_GE(r.mode["rcvbuf"]["granted"].get<int>(), 32 << 20);
  if (batch == 1) {
    // One datagram per syscall: one copy per call.
    EXPECT_EQ(s.counters["send_calls"], kDatagrams);
    EXPECT_EQ(r.mode["syscalls"], "sendto/recvfrom");
  } else {
    EXPECT_LT(s.counters["send_calls"].get<std::uint64_t>(), kDatagrams / 4);
  }
  if (wait == WaitPolicy::kBusyPoll) {
    EXPECT_EQ(r.mode["busy_poll"]["so_busy_poll_usec"], 20);
    EXPECT_EQ(r.mode["busy_poll"]["so_prefer_busy_poll"], 1);
  }
}

std::string pair_name(const ::testing::TestParamInfo<SockPair::ParamType>& info) {
  const auto [batch, wait] = info.param;
  std::string w = socket_wait_name(wait);
  for (char& c : w) {
    if (c == '-') c = '_';
  }
  return "batch" + std::to_string(batch) + "_" + w;
}

INSTANTIATE_TEST_SUITE_P(
    BatchAndWait, SockPair,
    ::testing::Combine(::testing::Values(1U, 32U),
                       ::testing::Values(WaitPolicy::kBlock, WaitPolicy::kSpin, WaitPolicy::kPoll,
                                         WaitPolicy::kBusyPoll)),
    pair_name);

TEST(SockEcho, PingsComeBackUnchanged) {
  Topology topo = Topology::create_unique("echo");
  const TopologyConfig t = topo.config();
  constexpr std::uint64_t kPings = 200;

  std::promise<void> ready;
  std::atomic<bool> stop{false};
  auto pong = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    SocketDatapath dp(receiver_config(t, 8, WaitPolicy::kBlock));
    ready.set_value();
    std::uint64_t echoed = 0;
    const auto deadline = std::chrono::steady_clock::now() + kRunLimit;
    while (!stop && std::chrono::steady_clock::now() < deadline) {
      if (dp.wait_rx(20ms)) echoed += dp.echo(8, [](std::span<const std::uint8_t>) {});
    }
    return echoed;
  });
  copylab::test::wait_until_ready(ready.get_future(), pong);

  std::uint64_t good = 0;
  {
    NetnsScope in_a(t.ns_a);
    SocketConfig cfg = sender_config(t, 1);
    cfg.connect = true;
    cfg.show_addresses = true;
    SocketDatapath dp(cfg);
    for (std::uint64_t seq = 0; seq < kPings; ++seq) {
      ASSERT_EQ(dp.send(1, [&](std::span<std::uint8_t> p) { write_payload(p, seq, now_ns(), kFlagPing); }), 1U);
      bool back = false;
      const auto give_up = std::chrono::steady_clock::now() + kEchoWait;
      while (!back && std::chrono::steady_clock::now() < give_up) {
        if (!dp.wait_rx(20ms)) continue;
        dp.receive(1, [&](std::span<const std::uint8_t> p) {
          PayloadHeader h;
          back = read_payload(p, h) == PayloadStatus::kOk && h.seq == seq && (h.flags & kFlagPing) != 0;
        });
      }
      good += back ? 1 : 0;
    }
    const nlohmann::json c = dp.counters();
    ASSERT_EQ(c["user_buffers"]["tx"].size(), cfg.show_addresses_count);
    ASSERT_EQ(c["user_buffers"]["rx"].size(), cfg.show_addresses_count);
    // The user buffer does not move across the call; the kernel copies in and out of it.
    const auto& first = c["user_buffers"]["tx"][0];
    EXPECT_EQ(first["user_addr_before"], first["user_addr_after"]);
    EXPECT_EQ(first["bytes"], static_cast<long>(kPayload));
    EXPECT_EQ(c["user_buffers"]["rx"][0]["bytes"], static_cast<long>(kPayload));
  }
  stop = true;
  EXPECT_EQ(good, kPings);
  EXPECT_EQ(pong.get(), kPings);
}

TEST(SockBadInput, UnreachableDestinationThroughTheDevice) {
  Topology topo = Topology::create_unique("unreach");
  const TopologyConfig t = topo.config();
  NetnsScope in_a(t.ns_a);
  SocketConfig cfg = sender_config(t, 1);
  cfg.dst_ip = "192.0.2.7";  // TEST-NET-1: no route in the experiment's namespace
  std::string e = error_of(cfg);
  EXPECT_NE(e.find("not reachable through " + t.dev_a), std::string::npos) << e;
  EXPECT_NE(e.find("192.0.2.7"), std::string::npos) << e;
  cfg.dst_ip = t.ip_a.str();  // our own address: would never cross the veth
  e = error_of(cfg);
  EXPECT_NE(e.find("is an address of namespace " + t.ns_a), std::string::npos) << e;
}

TEST(SockBadInput, PortInUseNamesNamespaceAndFix) {
  Topology topo = Topology::create_unique("port");
  const TopologyConfig t = topo.config();
  NetnsScope in_b(t.ns_b);
  SocketDatapath first(receiver_config(t, 32, WaitPolicy::kBlock));
  const std::string e = error_of(receiver_config(t, 32, WaitPolicy::kBlock));
  EXPECT_NE(e.find("port 9999 already in use in namespace " + t.ns_b), std::string::npos) << e;
  EXPECT_NE(e.find("--dst-port"), std::string::npos) << e;
  EXPECT_THROW(SocketDatapath second(receiver_config(t, 32, WaitPolicy::kBlock)), Error);
}

TEST(SockBadInput, DeviceAddressAndSizeChecks) {
  Topology topo = Topology::create_unique("badin");
  const TopologyConfig t = topo.config();
  NetnsScope in_a(t.ns_a);
  SocketConfig cfg = sender_config(t, 1);
  EXPECT_EQ(error_of(cfg), "");
  cfg.dev = t.dev_b;  // the peer's device lives in the other namespace
  EXPECT_NE(error_of(cfg).find("no device '" + t.dev_b + "' in namespace " + t.ns_a), std::string::npos);
  cfg = sender_config(t, 1);
  cfg.payload_size = 1473;  // veth MTU 1500 - 28 = 1472
  EXPECT_NE(error_of(cfg).find("MTU 1500"), std::string::npos) << error_of(cfg);
  cfg.payload_size = 1472;
  EXPECT_EQ(error_of(cfg), "");
  cfg.src_ip = "10.0.0.77";  // not an address of this namespace
  EXPECT_NE(error_of(cfg).find("is not an address of namespace " + t.ns_a), std::string::npos);
}

}  // namespace

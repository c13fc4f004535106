// The DPDK datapath as a user runs it: dpdk_sender and dpdk_receiver (DPDK's net_af_xdp PMD) in a
// private topology against copylab's AF_XDP tools and each other, with real frames; bad input;
// SIGINT/SIGTERM; SIGKILL and the reclaim of the PMD's XDP program by `copylab cleanup`.
// Skipped, with the reason, where the build has no DPDK datapath (no libdpdk, or
// -DCOPYLAB_WITH_DPDK=OFF).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>

#include "netns/topology.hpp"
#include "tests/integration/tool_harness.hpp"

using namespace copylab;
using namespace copylab::test;
using std::chrono::seconds;

namespace {

constexpr std::uint64_t kFrames = 4000;
constexpr double kRatePps = 50'000;
constexpr std::size_t kPayload = 64;

enum class End { kDpdk, kAfXdp };

class DpdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if !COPYLAB_TEST_HAVE_DPDK
    GTEST_SKIP() << "the DPDK datapath was not built (no libdpdk found by pkg-config, or "
                    "-DCOPYLAB_WITH_DPDK=OFF): apt-get install libdpdk-dev librte-net-af-xdp23";
#endif
    topo_.emplace(Topology::create_unique("dpdk"));
  }
  void TearDown() override {
    if (!topo_) return;
    // Whatever a test did, nothing may stay attached to either device.
    EXPECT_EQ(attached_xdp(t().ns_a, t().dev_a), "");
    EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "");
    topo_.reset();
  }
  const TopologyConfig& t() const { return topo_->config(); }

  // dpdk_sender on side A, addressed to side B.
  std::vector<std::string> dpdk_sender_args(std::uint64_t count, double rate) const {
    std::vector<std::string> a{"--dev",     t().dev_a,         "--src-mac", t().mac_a.str(),
                               "--dst-mac", t().mac_b.str(),   "--src-ip",  t().ip_a.str(),
                               "--dst-ip",  t().ip_b.str(),    "--size",    std::to_string(kPayload),
                               "--count",   std::to_string(count)};
    if (rate > 0) a.insert(a.end(), {"--rate", std::to_string(rate)});
    return a;
  }
  // dpdk_receiver on side B with an RX ring and a pool that hold the whole run.
  std::vector<std::string> dpdk_receiver_args(std::uint64_t count) const {
    std::vector<std::string> a{"--dev",       t().dev_b, "--size",   std::to_string(kPayload),
                               "--count",     std::to_string(count), "--duration", "60",
                               "--ring-size", "4096",    "--mbufs",  "16384"};
    return a;
  }
  BackgroundTool start_receiver(End e, std::uint64_t count) {
    if (e == End::kDpdk) return start_tool(t().ns_b, "dpdk_receiver", dpdk_receiver_args(count));
    ToolLaunch l;
    l.path = af_xdp_path(XdpMode::kNative);
    l.role = ToolRole::kReceiver;
    l.count = count;
    l.size = kPayload;
    l.idle_timeout_s = 0;
    l.duration_s = 60;
    l.ring_size = 8192;
    l.frame_count = 8192;
    const LaunchCommand c = launch_command(t(), l);
    return start_tool(c.ns, c.tool, c.args);
  }
  ToolRun run_sender(End e, std::uint64_t count, double rate) {
    if (e == End::kDpdk) return run_tool(t().ns_a, "dpdk_sender", dpdk_sender_args(count, rate));
    std::vector<std::string> a = xdp_sender_args(t());
    a.insert(a.end(), {"--size", std::to_string(kPayload), "--count", std::to_string(count),
                       "--rate", std::to_string(rate)});
    return run_tool(t().ns_a, "xdp_sender", a);
  }

  // N frames from `tx` to `rx`: every one arrives once, in order and intact (the receiver's own
  // validator), and each DPDK end reports the PMD it ran.
  void expect_frames_intact(End tx, End rx) {
    auto r = start_receiver(rx, kFrames);
    ASSERT_TRUE(r.process.running()) << r.finish().output;
    ASSERT_NE(attached_xdp(t().ns_b, t().dev_b), "") << "the receiver's XDP program";
    const ToolRun s = run_sender(tx, kFrames, kRatePps);
    const ToolRun done = r.finish();
    ASSERT_EQ(s.exit_code, 0) << s.output;
    ASSERT_EQ(done.exit_code, 0) << done.output;
    ASSERT_TRUE(s.json.is_object()) << s.output;
    ASSERT_TRUE(done.json.is_object()) << done.output;
    EXPECT_EQ(s.json["result"]["sent"], kFrames);
    const auto& v = done.json["result"]["validator"];
    EXPECT_EQ(v["unique"], kFrames) << done.json["result"].dump(2) << done.json["counters"].dump();
    EXPECT_EQ(v["corrupt"], 0);
    EXPECT_EQ(v["duplicates"], 0);
    EXPECT_EQ(v["reordered"], 0);
    EXPECT_EQ(v["highest_seq"], kFrames - 1);
    EXPECT_EQ(v["payload_bytes"], kFrames * kPayload);
    for (const ToolRun* run : {&s, &done}) {
      const bool dpdk = run == &s ? tx == End::kDpdk : rx == End::kDpdk;
      EXPECT_EQ(run->json["datapath"], dpdk ? "dpdk" : "af_xdp");
      if (dpdk) {
        EXPECT_EQ(run->json["mode"]["pmd"], "net_af_xdp");
        EXPECT_NE(run->json["mode"]["xdp_prog_id"], 0) << run->json["mode"].dump();
        EXPECT_TRUE(run->json["counters"].contains("xstats")) << run->json["counters"].dump();
      }
    }
    if (rx == End::kDpdk) {
      // The PMD's own count of what it received agrees with the validator (no foreign frames
      // in a private namespace with IPv6 off).
      EXPECT_EQ(done.json["counters"]["eth_stats"]["ipackets"], kFrames);
    }
    if (tx == End::kDpdk) {
      EXPECT_EQ(s.json["counters"]["eth_stats"]["opackets"], kFrames);
    }
  }

  std::optional<Topology> topo_;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST_F(DpdkTest, DpdkSenderToAfXdpReceiver) { expect_frames_intact(End::kDpdk, End::kAfXdp); }
TEST_F(DpdkTest, AfXdpSenderToDpdkReceiver) { expect_frames_intact(End::kAfXdp, End::kDpdk); }
TEST_F(DpdkTest, DpdkSenderToDpdkReceiver) { expect_frames_intact(End::kDpdk, End::kDpdk); }

struct BadDpdkInput {
  const char* name;
  std::vector<std::string> args;  // "@B": the topology's device in side B
  const char* expect;             // a fragment of the one-line error
};

class DpdkBadInput : public DpdkTest, public ::testing::WithParamInterface<BadDpdkInput> {};

TEST_P(DpdkBadInput, OneClearLineNonZeroNothingAttached) {
  std::vector<std::string> args;
  for (const auto& a : GetParam().args) args.push_back(a == "@B" ? t().dev_b : a);
  const ToolRun r = run_tool(t().ns_b, "dpdk_receiver", args, seconds(30));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, -2) << "timed out";
  EXPECT_EQ(r.lines_containing("error:"), 1) << r.output;
  EXPECT_NE(r.last_line().find("error:"), std::string::npos) << r.output;
  EXPECT_NE(r.last_line().find("Fix:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(GetParam().expect), std::string::npos)
      << "expected '" << GetParam().expect << "' in: " << r.output;
  EXPECT_EQ(r.output.find("Usage:"), std::string::npos) << "the EAL's usage text leaked";
  // TearDown checks that nothing is attached.
}

INSTANTIATE_TEST_SUITE_P(
    Dpdk, DpdkBadInput,
    ::testing::Values(
        BadDpdkInput{"DeviceMissing", {"--dev", "nosuchdev0"}, "nosuchdev0"},
        BadDpdkInput{"QueueMissing", {"--dev", "@B", "--queue", "5"}, "queue"},
        BadDpdkInput{"RingNotPowerOfTwo", {"--dev", "@B", "--ring-size", "1000"}, "power of two"},
        // The EAL cannot start: an option it refuses, and too little memory for its heap.
        BadDpdkInput{"EalRefusesOption", {"--dev", "@B", "--eal-args", "--no-huge --in-memory"},
                     "rte_eal_init"},
        BadDpdkInput{"EalNoMemory", {"--dev", "@B", "--eal-args", "--no-huge -m 1 --no-pci"},
                     "rte_"},
        BadDpdkInput{"OwnVdevRefused", {"--dev", "@B", "--eal-args", "--vdev=net_null0"},
                     "--vdev"}),
    [](const ::testing::TestParamInfo<BadDpdkInput>& row) { return std::string(row.param.name); });

TEST_F(DpdkTest, SigintAndSigtermDetachAndExit) {
  for (int sig : {SIGINT, SIGTERM}) {
    std::vector<std::string> rx_args = dpdk_receiver_args(0);
    auto rx = start_tool(t().ns_b, "dpdk_receiver", rx_args);
    ASSERT_TRUE(rx.process.running()) << rx.finish().output;
    auto tx = start_tool(t().ns_a, "dpdk_sender", dpdk_sender_args(0, 10'000));
    ASSERT_TRUE(tx.process.running()) << tx.finish().output;
    ASSERT_NE(attached_xdp(t().ns_a, t().dev_a), "") << "the sender's PMD binds an XSK too";
    // Signalled once the receiver has reported frames (its first per-second line).
    const auto give_up = std::chrono::steady_clock::now() + seconds(30);
    while (slurp(rx.log_path).find("Mbit/s") == std::string::npos &&
           std::chrono::steady_clock::now() < give_up && rx.process.running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    tx.process.signal(sig);
    rx.process.signal(sig);
    const ToolRun tx_done = tx.finish(seconds(20));
    const ToolRun rx_done = rx.finish(seconds(20));
    EXPECT_EQ(tx_done.exit_code, 128 + sig) << tx_done.output;
    EXPECT_EQ(rx_done.exit_code, 128 + sig) << rx_done.output;
    ASSERT_TRUE(rx_done.json.is_object()) << "a stopped receiver still writes its summary";
    EXPECT_GT(rx_done.json["result"]["received"].get<long>(), 0);
    EXPECT_EQ(rx_done.json["result"]["validator"]["corrupt"], 0);
    EXPECT_EQ(attached_xdp(t().ns_a, t().dev_a), "") << "signal " << sig;
    EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "") << "signal " << sig;
  }
}

TEST_F(DpdkTest, KillNineLeavesARecordThatCleanupReclaims) {
  auto rx = start_tool(t().ns_b, "dpdk_receiver", dpdk_receiver_args(0));
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  const std::string attached = attached_xdp(t().ns_b, t().dev_b);
  ASSERT_NE(attached, "");
  rx.process.signal(SIGKILL);
  const ToolRun killed = rx.finish(seconds(20));
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL) << killed.output;
  // Where the PMD attached through a bpf_link the kernel detaches it once the killed process's
  // fds are released (asynchronously, so whether it is still there when cleanup looks is a race);
  // a netlink attachment stays until the reclaim removes it. Either way: nothing after cleanup.
  const ToolRun cleanup = run_tool("", "copylab", {"cleanup"}, seconds(60), false);
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.output;
  EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "") << "was " << attached << "; " << cleanup.output;
  // The device is usable again by the next run.
  expect_frames_intact(End::kAfXdp, End::kDpdk);
}

}  // namespace

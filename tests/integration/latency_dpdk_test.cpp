// `copylab latency --modes dpdk-spin` end to end, the way a user runs it, on a namespace pair this
// test makes (unique names): real pings through DPDK's net_af_xdp PMD on both sides, each side
// its own dpdk_pingpong process. Every measured ping is echoed intact, the percentile block is
// printed, the mode and its read-back modes are in the JSON, and no XDP program is left on either
// device. Skipped (with the reason) where the DPDK tools are not built. No time limits: an echo
// counts as lost only after 5 s.
#include <gtest/gtest.h>

#include <unistd.h>

#include <optional>
#include <string>

#include "latency/tool_sides.hpp"
#include "netns/topology.hpp"
#include "tool_harness.hpp"

using namespace copylab;

namespace {

constexpr std::uint64_t kPings = 500;

TEST(LatencyDpdk, DpdkSpinEchoesEveryPingIntact) {
  if (const auto why = pingpong_tool_missing(COPYLAB_TEST_BIN_DIR)) {
    GTEST_SKIP() << "DPDK is not built: " << *why;
  }
  const Topology topo = Topology::create_unique("ld");
  const TopologyConfig& t = topo.config();
  const test::ToolRun run = test::run_tool(
      "", "copylab",
      {"latency", "--modes", "dpdk-spin", "--count", std::to_string(kPings), "--warmup", "50",
       "--reps", "1", "--reply-timeout", "5000", "--netns", t.ns_a + "," + t.ns_b, "--dev",
       t.dev_a + "," + t.dev_b},
      std::chrono::seconds(300));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("RTT percentiles"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("dpdk-spin"), std::string::npos) << run.output;
  const nlohmann::json& j = run.json;
  ASSERT_TRUE(j.is_object()) << run.output;
  EXPECT_EQ(j["meta"]["options"]["modes"], nlohmann::json::array({"dpdk-spin"}));
  ASSERT_EQ(j["results"].size(), 1u) << j.dump(2);
  const nlohmann::json& r = j["results"][0];
  EXPECT_EQ(r["mode"], "dpdk-spin");
  EXPECT_TRUE(r["error"].is_null()) << r["error"];
  ASSERT_EQ(r["runs"].size(), 1u);
  const nlohmann::json& run0 = r["runs"][0];
  const nlohmann::json& p = run0["packets"];
  EXPECT_EQ(p["sent"], kPings) << p;
  EXPECT_EQ(p["replies"], kPings) << p;
  EXPECT_EQ(p["lost"], 0u) << p;
  EXPECT_EQ(p["corrupt"], 0u) << p;
  EXPECT_EQ(p["stale"], 0u) << p;
  EXPECT_EQ(p["pong_corrupt"], 0u) << p;
  // The pong echoed every measured ping and the warm-up before them.
  EXPECT_GE(p["pong_echoed"].get<std::uint64_t>(), kPings + 50) << p;
  EXPECT_EQ(r["rtt_merged"]["count"], kPings);
  EXPECT_EQ(r["one_way_merged"]["count"], kPings);
  // Each side's mode read back from its own process: the PMD's program on its device, each side
  // keeping its own flow (the ping its echoes on its source port, the pong the pings).
  EXPECT_EQ(run0["ping_mode"]["steered_udp_port"], 9000) << run0["ping_mode"];
  EXPECT_EQ(run0["pong_mode"]["steered_udp_port"], 9999) << run0["pong_mode"];
  EXPECT_GT(run0["ping_mode"]["xdp_prog_id"].get<std::uint64_t>(), 0u);
  EXPECT_GT(run0["pong_mode"]["xdp_prog_id"].get<std::uint64_t>(), 0u);
  EXPECT_FALSE(r["one_way_split"]["measured"].get<bool>());
  // The PMD's XDP programs went with their processes.
  EXPECT_EQ(test::attached_xdp(t.ns_a, t.dev_a), "");
  EXPECT_EQ(test::attached_xdp(t.ns_b, t.dev_b), "");
}

}  // namespace

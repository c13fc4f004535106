// latency/: a short real ping-pong for every mode between two namespaces this test makes (unique
// names), then `copylab latency`'s body end to end (JSON, HTML) and its bad-input path. Sane
// values only: samples exist, p50 <= p99 <= max, loss within a stated tolerance. No time limits.
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "common/cpu.hpp"
#include "common/error.hpp"
#include "latency/experiment.hpp"
#include "latency/latency_command.hpp"
#include "latency/modes.hpp"
#include "latency/reflector.hpp"
#include "netns/netns_scope.hpp"
#include "netns/command.hpp"
#include "netns/topology.hpp"

using namespace copylab;

namespace {

constexpr std::uint64_t kPings = 400;
constexpr std::uint64_t kWarmup = 50;
// Lost echoes tolerated: the first frames after an XDP attach can race the attach itself, and
// this 2-vCPU VM stalls now and then for longer than the reply timeout.
constexpr std::uint64_t kLossTolerance = kPings / 50;  // 2%

// One topology for the whole suite (made once, removed at the end even when tests fail).
class LatencyEnv : public ::testing::Environment {
 public:
  void SetUp() override { topo.emplace(Topology::create_unique("lt")); }
  void TearDown() override { topo.reset(); }
  static inline std::optional<Topology> topo;
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new LatencyEnv);

std::string xdp_state(const std::string& ns, const std::string& dev) {
  const CommandResult r = run_command({"ip", "-n", ns, "-d", "link", "show", "dev", dev});
  return r.out;
}

class LatencyMode : public ::testing::TestWithParam<std::string> {};

TEST_P(LatencyMode, ShortPingPongIsSane) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const TopologyConfig& t = LatencyEnv::topo->config();
  const ModeSpec mode = parse_modes(GetParam()).front();
  RunParams p;
  p.cpu_ping = 0;
  p.cpu_pong = online_cpu_count() > 1 ? 1 : 0;
  p.ping.count = kPings;
  p.ping.warmup = kWarmup;
  p.ping.payload_len = 64;
  p.ping.reply_timeout = std::chrono::milliseconds(200);
  p.ping.max_duration = std::chrono::milliseconds(60'000);
  OnceOutcome out = run_pingpong_once(mode, t, p);

  const LatencyRun& r = out.record;
  EXPECT_EQ(r.packets.sent, kPings);
  EXPECT_GT(r.rtt.count, 0u);
  EXPECT_EQ(r.rtt.count, r.packets.replies);
  EXPECT_LE(r.packets.lost, kLossTolerance);
  EXPECT_EQ(r.packets.corrupt, 0u);
  EXPECT_GT(r.rtt.min, 0.0);
  EXPECT_LE(r.rtt.p50, r.rtt.p99);
  EXPECT_LE(r.rtt.p99, r.rtt.max);
  EXPECT_FALSE(r.ping_mode.is_null());
  EXPECT_FALSE(r.pong_mode.is_null());
  if (uses_reflector(mode)) {
    // The reflector answered in the kernel: its counter saw (at least) every echo we got.
    EXPECT_GE(r.pong_counters.value("reflected", 0u), r.packets.replies);
    EXPECT_EQ(r.pong_mode.value("is_ours", false), true);
  } else {
    EXPECT_GT(r.one_way.count, 0u);
    EXPECT_LE(r.one_way.p50, r.rtt.max);  // one way cannot exceed the slowest round trip
    EXPECT_GE(r.packets.pong_echoed, r.packets.replies);
  }
  // Nothing left attached by the run.
  EXPECT_EQ(xdp_state(t.ns_a, t.dev_a).find("prog/xdp"), std::string::npos);
  EXPECT_EQ(xdp_state(t.ns_b, t.dev_b).find("prog/xdp"), std::string::npos);
}

std::vector<std::string> mode_names() {
  std::vector<std::string> v;
  for (const auto& m : all_modes()) v.push_back(m.name);
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllModes, LatencyMode, ::testing::ValuesIn(mode_names()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n;
                           for (char c : i.param) n += c == '-' ? '_' : c;
                           return n;
                         });

TEST(LatencyCommand, EndToEndWritesJsonAndHtml) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const TopologyConfig& t = LatencyEnv::topo->config();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("copylab-latency-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  LatencyOptions o;
  o.modes = "sock-block,sock-spin,xdp-tx-native";
  o.count = 300;
  o.warmup = 30;
  o.reps = 2;
  o.sizes = {64, 512};
  o.rates = {2000};
  o.netns = t.ns_a + "," + t.ns_b;
  o.dev = t.dev_a + "," + t.dev_b;
  o.json_path = (dir / "out.json").string();
  o.html_dir = (dir / "html").string();
  o.quiet = true;
  EXPECT_EQ(run_latency(o), 0);
  std::ifstream f(o.json_path);
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j["schema"], kLatencySchema);
  // 3 modes × (2 sizes + 1 rate) configurations, each with 2 runs.
  ASSERT_EQ(j["results"].size(), 9u);
  for (const auto& r : j["results"]) {
    EXPECT_TRUE(r["error"].is_null()) << r["error"];
    EXPECT_EQ(r["runs"].size(), 2u);
    EXPECT_LE(r["rtt"]["p50_us"]["median"].get<double>(), r["rtt"]["p99_us"]["median"].get<double>());
    if (r["rate_pps"].get<double>() > 0) {
      EXPECT_FALSE(r["rtt_corrected"].is_null());
    }
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "html" / "index.html"));
  EXPECT_TRUE(std::filesystem::exists(dir / "html" / "sock-block.hgrm"));
  EXPECT_TRUE(std::filesystem::exists(dir / "html" / "latency.gp"));
  std::filesystem::remove_all(dir);
}

TEST(LatencyReflector, RefusesToReplaceAnotherProgramAndDetachesOnlyItsOwn) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const TopologyConfig& t = LatencyEnv::topo->config();
  {
    NetnsScope ns(t.ns_b);
    XdpReflector first(t.dev_b, LatencyXdpMode::kNative, XdpReflector::Role::kReflect, 9999);
    EXPECT_EQ(first.mode().value("attach_mode", ""), "native");
    EXPECT_TRUE(first.mode().value("is_ours", false));
    try {
      XdpReflector second(t.dev_b, LatencyXdpMode::kNative, XdpReflector::Role::kReflect, 9999);
      ADD_FAILURE() << "a second program replaced the first";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("EBUSY"), std::string::npos) << e.what();
    }
    // The refused attach left the first program in place.
    EXPECT_TRUE(first.mode().value("is_ours", false));
  }
  EXPECT_EQ(xdp_state(t.ns_b, t.dev_b).find("prog/xdp"), std::string::npos);
}

TEST(LatencyReflector, UnknownDeviceIsAClearError) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  NetnsScope ns(LatencyEnv::topo->config().ns_b);
  EXPECT_THROW(XdpReflector("nosuchdev0", LatencyXdpMode::kNative, XdpReflector::Role::kReflect, 9999),
               Error);
}

TEST(LatencyCommand, BadCpuFailsBeforeCreatingAnything) {
  LatencyOptions o;
  o.cpu_pong = 4096;
  o.quiet = true;
  try {
    run_latency(o);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("--cpu-pong"), std::string::npos);
  }
  // No namespace of this process other than the suite's own pair.
  const std::string mine = "-" + std::to_string(getpid()) + "-";
  int count = 0;
  if (DIR* d = opendir("/run/netns")) {
    while (dirent* e = readdir(d)) count += std::string(e->d_name).find(mine) != std::string::npos;
    closedir(d);
  }
  EXPECT_EQ(count, 2);
}

}  // namespace

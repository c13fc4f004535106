// latency/: a short real ping-pong for every mode between two namespaces this test makes (unique
// names), then `copylab latency`'s body end to end (JSON, HTML) and its bad-input path. Sane
// values only: samples exist, one way within the slowest round trip, loss within a stated
// tolerance, and exact accounting of the kernel RX timestamps (every measured sample has one,
// between its send and its receive). No time limits: an echo
// counts as lost only after kReplyTimeout, far beyond any scheduling stall of a loaded VM.
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <iostream>
#include <map>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "common/cpu.hpp"
#include "common/error.hpp"
#include "latency/experiment.hpp"
#include "cli/latency_command.hpp"
#include "latency/modes.hpp"
#include "latency/tool_sides.hpp"
#include "xdp/reflector.hpp"
#include "netns/netns_scope.hpp"
#include "netns/command.hpp"
#include "netns/discover.hpp"
#include "netns/topology.hpp"
#include "packet/addr.hpp"
#include "report/report_text.hpp"
#include "tool_harness.hpp"

using namespace copylab;

namespace {

constexpr std::uint64_t kPings = 400;
constexpr std::uint64_t kWarmup = 50;
// Lost echoes tolerated: the first frames after an XDP attach can race the attach itself.
constexpr std::uint64_t kLossTolerance = kPings / 50;  // 2%
// A ping whose echo is not back within this is lost: a bound on a real loss, not on latency.
constexpr std::chrono::milliseconds kReplyTimeout{5000};
constexpr int kReplyTimeoutMs = static_cast<int>(kReplyTimeout.count());

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

// The short run every case here makes: kPings pings after kWarmup, ping pinned to CPU 0 and pong
// to CPU 1 when there is one, a bounded duration, the kernel RX split on.
RunParams short_run() {
  RunParams p;
  p.cpu_ping = 0;
  p.cpu_pong = online_cpu_count() > 1 ? 1 : 0;
  p.ping.count = kPings;
  p.ping.warmup = kWarmup;
  p.ping.reply_timeout = kReplyTimeout;
  p.ping.max_duration = std::chrono::milliseconds(60'000);
  p.ping.kernel_rx_split = true;
  return p;
}

class LatencyMode : public ::testing::TestWithParam<std::string> {};

TEST_P(LatencyMode, ShortPingPongIsSane) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const TopologyConfig& t = LatencyEnv::topo->config();
  const ModeSpec mode = parse_modes(GetParam()).front();
  if (uses_dpdk(mode)) {
    if (const auto why = pingpong_tool_missing(COPYLAB_TEST_BIN_DIR)) {
      GTEST_SKIP() << "DPDK is not built: " << *why;
    }
  }
  RunParams p = short_run();
  p.ping.payload_len = 64;
  OnceOutcome out = run_pingpong_once(mode, t, p);

  const LatencyRun& r = out.record;
  EXPECT_EQ(r.packets.sent, kPings);
  EXPECT_GT(r.rtt.count, 0u);
  EXPECT_EQ(r.rtt.count, r.packets.replies);
  EXPECT_LE(r.packets.lost, kLossTolerance);
  EXPECT_EQ(r.packets.corrupt, 0u);
  EXPECT_GT(r.rtt.min, 0.0);
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

// gtest names: the mode name with '-' turned into '_'.
std::string mode_test_name(const ::testing::TestParamInfo<std::string>& i) {
  std::string n;
  for (char c : i.param) n += c == '-' ? '_' : c;
  return n;
}

INSTANTIATE_TEST_SUITE_P(AllModes, LatencyMode, ::testing::ValuesIn(mode_names()),
                         mode_test_name);

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
  o.reply_timeout_ms = kReplyTimeoutMs;
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
    if (r["rate_pps"].get<double>() > 0) {
      EXPECT_FALSE(r["rtt_corrected"].is_null());
    }
    // Socket pongs carry the kernel RX split; the reflector says why it has none.
    const bool reflector = r["mode"] == "xdp-tx-native";
    EXPECT_EQ(r["one_way_split"]["measured"].get<bool>(), !reflector) << r["mode"];
    EXPECT_TRUE(r["rtt_split"]["measured"].get<bool>()) << r["mode"];  // socket pings
    // Every measured sample carries its kernel RX timestamp: the warm-up waited for them.
    EXPECT_EQ(r["rtt_split"]["missing_timestamp"], 0u) << r["mode"];
    EXPECT_EQ(r["rtt_split"]["samples"], r["rtt_merged"]["count"]) << r["mode"];
    for (const auto& run : r["runs"]) {
      EXPECT_TRUE(run["warmup_note"].is_null()) << run["warmup_note"];
      EXPECT_GE(run["warmup_sent"].get<std::uint64_t>(), 30u);
    }
    if (!reflector) {
      EXPECT_GT(r["one_way_split"]["to_kernel_rx"]["p50_us"]["median"].get<double>(), 0.0);
      EXPECT_EQ(r["one_way_split"]["clock"], "CLOCK_REALTIME");
      EXPECT_EQ(r["one_way_split"]["missing_timestamp"], 0u) << r["mode"];
      EXPECT_EQ(r["one_way_split"]["samples"], r["one_way_merged"]["count"]) << r["mode"];
    } else {
      EXPECT_FALSE(r["one_way_split"]["not_measured"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(j["meta"]["method"].contains("kernel_rx_split"));
  EXPECT_TRUE(std::filesystem::exists(dir / "html" / "index.html"));
  EXPECT_TRUE(std::filesystem::exists(dir / "html" / "sock-block.hgrm"));
  EXPECT_TRUE(std::filesystem::exists(dir / "html" / "latency.gp"));
  std::filesystem::remove_all(dir);
}

// The kernel RX timestamp split on real socket receivers: it exists, every measured sample has
// its timestamp (each side asks as it is built and the warm-up lasts until both sides have one)
// and the timestamp lies between the send and the receive (within the stated conversion
// uncertainty), the kernel part is positive, the user part is not negative. No time limits.
class LatencySplit : public ::testing::TestWithParam<std::string> {};

// `recorded`: the samples this side recorded (its RTT or one-way histogram's count); each one is
// split, none lacks a timestamp, none falls outside the bracket.
void expect_split_adds_up(const SplitStats& s, std::uint64_t recorded, const char* side,
                          const char* clock = "CLOCK_REALTIME") {
  SCOPED_TRACE(side);
  ASSERT_TRUE(s.measured) << s.not_measured;
  EXPECT_GT(recorded, 0u);
  EXPECT_EQ(s.missing, 0u) << "measured samples without a kernel RX timestamp";
  EXPECT_EQ(s.samples, recorded);
  EXPECT_EQ(s.outside_bracket, 0u);
  EXPECT_GT(s.to_kernel.min, 0.0);  // the sender's stack takes time before the RX timestamp
  EXPECT_GE(s.from_kernel.min, 0.0);
  EXPECT_GT(s.from_kernel.p50, 0.0);
  EXPECT_GT(s.uncertainty_ns, 0);
  EXPECT_EQ(s.conversion.value("from_clock", ""), clock);
}

TEST_P(LatencySplit, SocketReceiversSplitAtTheKernelTimestamp) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const ModeSpec mode = parse_modes(GetParam()).front();
  const RunParams p = short_run();
  OnceOutcome out = run_pingpong_once(mode, LatencyEnv::topo->config(), p);
  EXPECT_TRUE(out.record.warmup_note.empty()) << out.record.warmup_note;
  EXPECT_LE(out.record.packets.lost, kLossTolerance);
  expect_split_adds_up(out.record.one_way_split, out.record.one_way.count, "pong one-way");
  expect_split_adds_up(out.record.rtt_split, out.record.rtt.count, "ping round trip");
  EXPECT_GT(out.record.pong_counters.value("rx_timestamped", 0u), 0u);
}

INSTANTIATE_TEST_SUITE_P(SocketModes, LatencySplit, ::testing::Values("sock-spin", "sock-block"),
                         mode_test_name);

// The same split on AF_XDP receivers: the steering program stamps bpf_ktime_get_ns() into the
// XDP metadata area, copy mode carries it into UMEM in front of the frame, the datapath reads it.
// Both attach modes, both sides (pong one-way, ping round trip). This also covers what
// the former probe (latency_xdp_meta_test) showed: the stamp arrives in UMEM on this kernel, in
// native and generic mode, and lies between the send and the user-space receive.
class LatencySplitAfXdp : public ::testing::TestWithParam<std::string> {};

// `recorded`: the samples this side recorded; each came in a stamped frame (warm-up frames too).
void expect_xdp_stamps(const nlohmann::json& counters, std::uint64_t recorded, const char* side) {
  SCOPED_TRACE(side);
  ASSERT_TRUE(counters.contains("rx_meta")) << counters.dump();
  EXPECT_GE(counters["rx_meta"]["stamped"].get<std::uint64_t>(), recorded);
  EXPECT_EQ(counters["rx_meta"]["no_room"].get<std::uint64_t>(), 0u);
  EXPECT_TRUE(counters["steer"]["rx_stamping"].get<bool>());
  EXPECT_GT(counters["steer"]["meta_stamped"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(counters["steer"]["meta_refused"].get<std::uint64_t>(), 0u);  // veth supports meta
  EXPECT_EQ(counters["rx_parse_failures"].get<std::uint64_t>(), 0u);
}

TEST_P(LatencySplitAfXdp, AfXdpReceiversSplitAtTheXdpHook) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const ModeSpec mode = parse_modes(GetParam()).front();
  const bool generic = GetParam().find("generic") != std::string::npos;
  const RunParams p = short_run();
  OnceOutcome out = run_pingpong_once(mode, LatencyEnv::topo->config(), p);
  EXPECT_EQ(out.record.packets.corrupt, 0u);  // the echo in place never sent the stamp along
  EXPECT_LE(out.record.packets.lost, kLossTolerance);
  EXPECT_TRUE(out.record.warmup_note.empty()) << out.record.warmup_note;
  expect_split_adds_up(out.record.one_way_split, out.record.one_way.count, "pong one-way",
                       "CLOCK_MONOTONIC");
  expect_split_adds_up(out.record.rtt_split, out.record.rtt.count, "ping round trip",
                       "CLOCK_MONOTONIC");
  // The datapath says where and with which clock, and that matches the attach mode it got.
  for (const KernelRxSplit* s : {&out.pong.one_way_split, &out.ping.rtt_split}) {
    EXPECT_EQ(s->source.clock_name, "CLOCK_MONOTONIC");
    EXPECT_NE(s->source.source.find("bpf_ktime_get_ns"), std::string::npos);
    EXPECT_NE(s->source.where.find("XDP hook"), std::string::npos) << s->source.where;
    EXPECT_NE(s->source.where.find(generic ? "generic" : "native"), std::string::npos)
        << s->source.where;
  }
  EXPECT_EQ(out.record.pong_mode.value("xdp_attach", ""), generic ? "generic" : "native");
  expect_xdp_stamps(out.record.pong_counters, out.record.one_way.count, "pong");
  expect_xdp_stamps(out.record.ping_counters, out.record.rtt.count, "ping");
}

INSTANTIATE_TEST_SUITE_P(AfXdpModes, LatencySplitAfXdp,
                         ::testing::Values("xsk-spin-native", "xsk-spin-generic"),
                         mode_test_name);

TEST(LatencySplitMixed, EachSideNamesItsOwnTimestampAndOffMeansOff) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  RunParams p = short_run();
  // Socket ping, AF_XDP pong: two different timestamps in one run, each named. The pong's stamp
  // also comes from frames a UDP socket sent (an skb from the stack, not an AF_XDP TX frame).
  OnceOutcome mixed = run_pingpong_once(parse_modes("mixed-sock-xsk").front(),
                                        LatencyEnv::topo->config(), p);
  EXPECT_TRUE(mixed.record.warmup_note.empty()) << mixed.record.warmup_note;
  EXPECT_LE(mixed.record.packets.lost, kLossTolerance);
  expect_split_adds_up(mixed.record.one_way_split, mixed.record.one_way.count,
                       "AF_XDP pong one-way", "CLOCK_MONOTONIC");
  expect_split_adds_up(mixed.record.rtt_split, mixed.record.rtt.count, "socket ping round trip",
                       "CLOCK_REALTIME");
  EXPECT_NE(mixed.pong.one_way_split.source.where, mixed.ping.rtt_split.source.where);
  expect_xdp_stamps(mixed.record.pong_counters, mixed.record.one_way.count, "AF_XDP pong");
  // The other way round: AF_XDP ping (stamped at once), socket pong (stamped once the kernel's
  // timestamp key is on): the ping's warm-up waits for the pong's first timestamp too.
  OnceOutcome reverse = run_pingpong_once(parse_modes("mixed-xsk-sock").front(),
                                          LatencyEnv::topo->config(), p);
  EXPECT_TRUE(reverse.record.warmup_note.empty()) << reverse.record.warmup_note;
  expect_split_adds_up(reverse.record.one_way_split, reverse.record.one_way.count,
                       "socket pong one-way", "CLOCK_REALTIME");
  expect_split_adds_up(reverse.record.rtt_split, reverse.record.rtt.count,
                       "AF_XDP ping round trip", "CLOCK_MONOTONIC");

  p.ping.count = 100;
  p.ping.warmup = 10;
  // Timestamps off: nothing measured, and the steering program never stamped (zero cost path).
  p.ping.kernel_rx_split = false;
  OnceOutcome off = run_pingpong_once(parse_modes("sock-spin").front(),
                                      LatencyEnv::topo->config(), p);
  EXPECT_FALSE(off.record.one_way_split.measured);
  EXPECT_FALSE(off.record.rtt_split.measured);
  EXPECT_FALSE(off.record.pong_counters.contains("rx_timestamped"));
  OnceOutcome xsk_off = run_pingpong_once(parse_modes("xsk-spin-native").front(),
                                          LatencyEnv::topo->config(), p);
  EXPECT_FALSE(xsk_off.record.one_way_split.measured);
  EXPECT_FALSE(xsk_off.record.rtt_split.measured);
  EXPECT_GT(xsk_off.record.rtt.count, 0u);
  for (const nlohmann::json* c : {&xsk_off.record.pong_counters, &xsk_off.record.ping_counters}) {
    EXPECT_FALSE(c->contains("rx_meta"));
    EXPECT_FALSE((*c)["steer"]["rx_stamping"].get<bool>());
    EXPECT_EQ((*c)["steer"]["meta_stamped"].get<std::uint64_t>(), 0u);
  }
}

// `copylab latency --netns A,B --dev X,Y` on a topology whose MACs and addresses are NOT
// netns/setup.sh's defaults: the command must read them back (netns/discover) to ping at all.
TEST(LatencyCommand, ReusedTopologyWithNonDefaultAddresses) {
  const TopologyConfig cfg = test::non_default_topology_config("ltn", 213);
  Topology topo = Topology::create(cfg);

  // netns/discover reads back what setup.sh configured, starting from the defaults.
  TopologyConfig found;
  found.ns_a = cfg.ns_a;
  found.ns_b = cfg.ns_b;
  found.dev_a = cfg.dev_a;
  found.dev_b = cfg.dev_b;
  discover_topology_addresses(found);
  EXPECT_EQ(found.mac_a, cfg.mac_a);
  EXPECT_EQ(found.mac_b, cfg.mac_b);
  EXPECT_EQ(found.ip_a, cfg.ip_a);
  EXPECT_EQ(found.ip_b, cfg.ip_b);
  try {
    MacAddr mac;
    Ipv4Addr ip;
    discover_addresses(cfg.ns_b, "nosuchdev0", mac, ip);
    ADD_FAILURE() << "a missing device was not an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("nosuchdev0"), std::string::npos);
  }

  const auto dir = std::filesystem::temp_directory_path() /
                   ("copylab-latency-ndef-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  LatencyOptions o;
  // Sockets need the IPs; the AF_XDP ping's frames need the pong's MAC too (a socket pong's stack
  // drops frames addressed to another MAC).
  o.modes = "sock-spin,mixed-xsk-sock";
  o.count = 200;
  o.warmup = 20;
  o.reps = 1;
  o.reply_timeout_ms = kReplyTimeoutMs;
  o.netns = cfg.ns_a + "," + cfg.ns_b;
  o.dev = cfg.dev_a + "," + cfg.dev_b;
  o.json_path = (dir / "out.json").string();
  o.quiet = true;
  EXPECT_EQ(run_latency(o), 0);
  std::ifstream f(o.json_path);
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j["meta"]["topology"]["ip"], nlohmann::json({cfg.ip_a.str(), cfg.ip_b.str()}));
  ASSERT_EQ(j["results"].size(), 2u);
  for (const auto& r : j["results"]) {
    EXPECT_TRUE(r["error"].is_null()) << r["error"];
    EXPECT_GT(r["packets"]["replies"].get<std::uint64_t>(), 0u) << r["mode"];
    EXPECT_LE(r["packets"]["lost"].get<std::uint64_t>(), 200u / 50) << r["mode"];
  }
  std::filesystem::remove_all(dir);
}

// The floor mode: an AF_XDP pinger in native mode against the XDP_TX reflector. One XDP program
// per device: the pinger's steering program on the ping device (which is also the native program
// XDP_TX into a veth needs on the peer), the reflector on the pong device, no pass-through.
TEST(LatencyFloor, OneProgramPerDeviceAndEveryEchoFromTheKernel) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const ModeSpec floor = parse_modes(std::string(kFloorMode)).front();
  ASSERT_EQ(floor.ping.kind(), SideKind::kAfXdp);
  ASSERT_EQ(floor.pong.kind(), SideKind::kXdpTxReflector);
  EXPECT_TRUE(floor.in_default_set);
  EXPECT_FALSE(needs_peer_pass_through(floor));
  EXPECT_TRUE(needs_peer_pass_through(parse_modes("xdp-tx-native").front()));
  const RunParams p = short_run();
  OnceOutcome out = run_pingpong_once(floor, LatencyEnv::topo->config(), p);
  const LatencyRun& r = out.record;
  EXPECT_EQ(r.packets.sent, kPings);
  EXPECT_LE(r.packets.lost, kLossTolerance);
  EXPECT_EQ(r.packets.corrupt, 0u);
  EXPECT_FALSE(r.ping_mode.contains("peer_xdp")) << r.ping_mode.dump();
  EXPECT_EQ(r.ping_mode.value("xdp_attach", ""), "native") << r.ping_mode.dump();
  EXPECT_EQ(r.pong_mode.value("attach_mode", ""), "native") << r.pong_mode.dump();
  EXPECT_TRUE(r.pong_mode.value("is_ours", false));
  // Every echo (warm-up included) was reflected in the pong device's driver path and steered to
  // the pinger's socket by its own program.
  EXPECT_GE(r.pong_counters.value("reflected", 0u), r.packets.replies + r.warmup_sent);
  // The pinger's RTT split is at its own XDP hook; the reflector's side has none.
  expect_split_adds_up(r.rtt_split, r.rtt.count, "AF_XDP ping round trip", "CLOCK_MONOTONIC");
  EXPECT_FALSE(r.one_way_split.measured);
}

// Whether the floor's p50 is at most every other mode's p50 is a speed claim, checked as a same-run
// target by bench/latency_modes.cpp (latency_modes_bench), not here: a timed comparison would
// depend on what else the machine runs.

// Default `copylab latency` (short count, its own uniquely named namespace pair): no line of what
// it prints, stdout or stderr, is wider than 120 columns, and each XDP/AF_XDP info line is
// printed once however many runs built that side.
TEST(LatencyCommand, DefaultOutputFitsAHundredAndTwentyColumns) {
  const test::ToolRun run =
      test::run_tool("", "copylab",
                     {"latency", "--count", "300", "--warmup", "50", "--reply-timeout",
                      std::to_string(kReplyTimeoutMs)},
                     std::chrono::seconds(600), false);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("RTT percentiles"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("x floor"), std::string::npos) << run.output;
  std::istringstream lines(run.output);
  std::string line;
  std::map<std::string, int> seen;
  while (std::getline(lines, line)) {
    EXPECT_LE(display_width(line), 120u) << line;
    if (line.find("AF_XDP socket on") != std::string::npos ||
        line.find("XDP steering program on") != std::string::npos) {
      // The same line but for a program id or port is the same line.
      std::string key;
      for (char c : line) {
        if (!std::isdigit(static_cast<unsigned char>(c))) key += c;
        else if (key.empty() || key.back() != '#') key += '#';
      }
      EXPECT_EQ(++seen[key], 1) << "repeated: " << line;
    }
  }
  EXPECT_FALSE(seen.empty()) << "the AF_XDP modes announced nothing:\n" << run.output;
}

TEST(LatencyReflector, RefusesToReplaceAnotherProgramAndDetachesOnlyItsOwn) {
  ASSERT_TRUE(LatencyEnv::topo.has_value());
  const TopologyConfig& t = LatencyEnv::topo->config();
  {
    NetnsScope ns(t.ns_b);
    XdpReflector first(t.dev_b, XdpMode::kNative, XdpReflector::Role::kReflect, 9999);
    EXPECT_EQ(first.mode().value("attach_mode", ""), "native");
    EXPECT_TRUE(first.mode().value("is_ours", false));
    try {
      XdpReflector second(t.dev_b, XdpMode::kNative, XdpReflector::Role::kReflect, 9999);
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
  EXPECT_THROW(XdpReflector("nosuchdev0", XdpMode::kNative, XdpReflector::Role::kReflect, 9999),
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
  EXPECT_EQ(count, 2);  // the non-default-address test removed its pair
}

}  // namespace

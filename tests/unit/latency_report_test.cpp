// latency options, modes, summaries, the JSON schema's stable keys, the sockperf parser and the
// terminal table: everything of `copylab latency` that needs no kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "latency/options.hpp"
#include "latency/results.hpp"
#include "latency/sockperf.hpp"
#include "report/latency_table.hpp"
#include "report/report_text.hpp"

using namespace copylab;

namespace {

int usage_code(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_FALSE(e.fix().empty()) << e.what();
    return e.exit_code();
  }
  return -1;
}

LatencyResults sample_results(const char* modes = "sock-block,xsk-spin-native,xdp-tx-native") {
  LatencyResults r;
  r.modes = parse_modes(modes);
  r.base_size = 64;
  for (const auto& m : r.modes) {
    ConfigResult c(3);
    c.mode = m.name;
    c.payload_bytes = 64;
    c.one_way_measured = m.pong.kind() != SideKind::kXdpTxReflector;
    for (int rep = 1; rep <= 3; ++rep) {
      LatencyHistogram h(3);
      for (int i = 0; i < 1000; ++i) h.record(static_cast<std::uint64_t>(5000 * rep + i));
      LatencyRun run;
      run.rep = rep;
      run.rtt = summarize(h);
      run.one_way = summarize(h);
      run.packets.sent = 1000;
      run.packets.replies = 1000;
      // The split as report/ sees it: measured for the socket pong, absent (with why) elsewhere.
      KernelRxSplit split(3);
      if (m.pong.kind() == SideKind::kSocket) {
        split.measured = true;
        split.source.clock_name = "CLOCK_REALTIME";
        split.source.where = "net_timestamp_check()";
        for (std::uint64_t i = 0; i < 1000; ++i) {
          split.record(1000, static_cast<std::int64_t>(3000 + i), 6000 + 2 * i, 30);
        }
        split.uncertainty_ns = 30;
      } else {
        split.not_measured = "the af_xdp datapath has no per-payload kernel receive timestamp";
      }
      run.one_way_split = summarize(split);
      run.rtt_split = summarize(split);
      c.one_way_split.add_run(split);
      c.rtt_split.add_run(split);
      c.rtt_all.merge(h);
      c.runs.push_back(run);
    }
    c.finish();
    r.configs.push_back(std::move(c));
  }
  return r;
}

}  // namespace

TEST(LatencyOptions, DefaultsAreValid) {
  LatencyOptions o;
  const LatencyPlan p = validate(o, 2);
  EXPECT_FALSE(p.modes.empty());
  EXPECT_EQ(p.sizes, std::vector<std::size_t>{64});
}

TEST(LatencyOptions, BadInputIsAUsageError) {
  auto with = [](auto change) {
    return [change] {
      LatencyOptions o;
      change(o);
      validate(o, 2);
    };
  };
  // Sizes outside copylab's payload range (the devices' MTU is checked once they exist).
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.size = 65508; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.size = 16; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.sizes = {64, 70000}; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.rates = {0}; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.rates = {-5}; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.rates = {2e6}; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.cpu_ping = 7; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.cpu_pong = -1; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.modes = "sock-block,warp-drive"; })),
            kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.count = 0; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.reps = 0; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.digits = 9; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.netns = "only-one"; })), kExitUsage);
  EXPECT_EQ(usage_code(with([](LatencyOptions& o) { o.dev = "a,b"; })), kExitUsage);
  // A jumbo size is the device's to refuse, not the plan's.
  LatencyOptions o;
  o.size = 8972;
  EXPECT_EQ(validate(o, 2).sizes, std::vector<std::size_t>{8972});
}

TEST(LatencyOptions, ListsParse) {
  EXPECT_EQ(parse_size_list("64, 256,1472", "--sizes"), (std::vector<std::size_t>{64, 256, 1472}));
  EXPECT_EQ(parse_rate_list("1000,2.5e4", "--rates"), (std::vector<double>{1000, 25000}));
  EXPECT_EQ(usage_code([] { parse_size_list("64,abc", "--sizes"); }), kExitUsage);
  EXPECT_EQ(usage_code([] { parse_size_list("-64", "--sizes"); }), kExitUsage);
  EXPECT_EQ(usage_code([] { parse_rate_list("1k", "--rates"); }), kExitUsage);
  LatencyOptions o;
  o.sizes = {64, 1472, 256, 1472};
  o.rates = {5000, 1000, 5000};
  const auto p = validate(o, 2);
  EXPECT_EQ(p.sizes, (std::vector<std::size_t>{64, 1472, 256}));
  EXPECT_EQ(p.rates, (std::vector<double>{1000, 5000}));
}

TEST(LatencyModes, TableIsConsistent) {
  std::set<std::string> names;
  for (const auto& m : all_modes()) {
    EXPECT_TRUE(names.insert(m.name).second) << "duplicate " << m.name;
    EXPECT_NE(m.ping.kind(), SideKind::kXdpTxReflector) << m.name << ": the reflector only pongs";
  }
  EXPECT_TRUE(names.count(std::string(kBaselineMode)));
  EXPECT_EQ(parse_modes("all").size(), all_modes().size());
  EXPECT_EQ(parse_modes("sock-block,sock-block").size(), 1u);
}

// A latency mode is two PathSpecs (the reflector pong: a flag and its attach mode): rows of the
// table against the paths the same names mean to compare and the tools.
struct ModePaths {
  std::string mode;
  PathSpec ping;
  PathSpec pong;
  bool reflector;
  std::string pong_described;
};

TEST(LatencyModes, ModesArePathSpecs) {
  const std::vector<ModePaths> rows{
      {"sock-block", socket_path(WaitPolicy::kBlock), socket_path(WaitPolicy::kBlock), false,
       "socket/block"},
      {"sock-busypoll", socket_path(WaitPolicy::kBusyPoll), socket_path(WaitPolicy::kBusyPoll),
       false, "socket/busy-poll"},
      {"xsk-spin-native", af_xdp_path(XdpMode::kNative, WaitPolicy::kSpin, false),
       af_xdp_path(XdpMode::kNative, WaitPolicy::kSpin, false), false, "af_xdp/spin/native"},
      {"xsk-wakeup-generic", af_xdp_path(XdpMode::kGeneric, WaitPolicy::kSpin, true),
       af_xdp_path(XdpMode::kGeneric, WaitPolicy::kSpin, true), false,
       "af_xdp/spin/generic/need_wakeup"},
      {"xsk-poll-native", af_xdp_path(XdpMode::kNative, WaitPolicy::kPoll, true),
       af_xdp_path(XdpMode::kNative, WaitPolicy::kPoll, true), false,
       "af_xdp/poll/native/need_wakeup"},
      {"mixed-sock-xsk", socket_path(WaitPolicy::kSpin),
       af_xdp_path(XdpMode::kNative, WaitPolicy::kSpin, false), false, "af_xdp/spin/native"},
      {"xsk-xdptx-native", af_xdp_path(XdpMode::kNative, WaitPolicy::kSpin, false),
       af_xdp_path(XdpMode::kNative, WaitPolicy::kSpin, false), true, "xdp_tx/native"},
      {"xdp-tx-generic", socket_path(WaitPolicy::kSpin),
       af_xdp_path(XdpMode::kGeneric, WaitPolicy::kSpin, false), true, "xdp_tx/generic"},
      {"dpdk-spin", dpdk_path(WaitPolicy::kSpin), dpdk_path(WaitPolicy::kSpin), false, "dpdk/spin"},
  };
  for (const ModePaths& r : rows) {
    const auto modes = parse_modes(r.mode);
    ASSERT_EQ(modes.size(), 1u) << r.mode;
    const ModeSpec& m = modes[0];
    EXPECT_EQ(m.ping.path, r.ping) << r.mode << ": ping " << describe(m.ping.path);
    EXPECT_EQ(m.pong.path, r.pong) << r.mode << ": pong " << describe(m.pong.path);
    EXPECT_FALSE(m.ping.xdp_tx_reflector) << r.mode;
    EXPECT_EQ(m.pong.xdp_tx_reflector, r.reflector) << r.mode;
    EXPECT_EQ(describe(m.pong), r.pong_described) << r.mode;
    // The table's paths are unpinned: --cpu-ping/--cpu-pong pin them at run time.
    EXPECT_EQ(m.ping.path.cpu(), -1) << r.mode;
  }
}

// The DPDK mode: its sides are DPDK (run out of process), in the default set, named only when
// --modes names it itself (so its absence is a usage error then, a skipped line otherwise).
TEST(LatencyModes, DpdkModeSidesAndExplicitNaming) {
  const ModeSpec m = parse_modes(std::string(kDpdkMode)).front();
  EXPECT_EQ(m.ping.kind(), SideKind::kDpdk);
  EXPECT_EQ(m.pong.kind(), SideKind::kDpdk);
  EXPECT_TRUE(uses_dpdk(m));
  EXPECT_FALSE(uses_af_xdp(m));
  EXPECT_FALSE(zero_copy_applies(m));
  EXPECT_EQ(to_json(m.pong)["kind"], "dpdk");
  EXPECT_FALSE(to_json(m.pong).contains("xdp_mode"));
  for (const char* other : {"sock-block", "xsk-spin-native", "xdp-tx-native"}) {
    EXPECT_FALSE(uses_dpdk(parse_modes(other).front())) << other;
  }
  struct Row {
    const char* text;
    bool named;
  };
  for (const Row& r : {Row{"dpdk-spin", true}, Row{"sock-block, dpdk-spin ", true},
                       Row{"default", false}, Row{"all", false}, Row{"dpdk-spin-x", false},
                       Row{"sock-block", false}, Row{"", false}}) {
    EXPECT_EQ(names_mode(r.text, kDpdkMode), r.named) << "'" << r.text << "'";
  }
  const auto defaults = parse_modes("default");
  EXPECT_TRUE(std::any_of(defaults.begin(), defaults.end(), [](const ModeSpec& d) { return uses_dpdk(d); }));
  // --xsk-bind zero-copy leaves the DPDK mode as it is next to a native AF_XDP mode.
  const auto both = apply_xsk_bind(parse_modes("dpdk-spin,xsk-spin-native"), XskBindChoice::kZeroCopy);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].name, "dpdk-spin");
  EXPECT_FALSE(both[0].ping.path.zero_copy());
}

// --xsk-bind on latency's modes: which modes run, under which names, bound how (rows).
struct XskBindRow {
  const char* modes;
  XskBindChoice bind;
  std::vector<std::string> names;  // in order
};

TEST(LatencyModes, XskBindNamesAndBindsTheNativeAfXdpSides) {
  const std::vector<XskBindRow> rows{
      {"sock-block,xsk-poll-native", XskBindChoice::kCopy, {"sock-block", "xsk-poll-native"}},
      {"sock-block,xsk-poll-native", XskBindChoice::kZeroCopy, {"sock-block", "xsk-poll-native-zc"}},
      {"sock-block,xsk-poll-native", XskBindChoice::kBoth,
       {"sock-block", "xsk-poll-native", "xsk-poll-native-zc"}},
      // Generic XDP cannot bind zero-copy: such a mode runs as it is.
      {"xsk-spin-generic,xsk-spin-native", XskBindChoice::kZeroCopy,
       {"xsk-spin-generic", "xsk-spin-native-zc"}},
      // The reflector pong has no socket: only the pinger binds zero-copy.
      {"xsk-xdptx-native", XskBindChoice::kBoth, {"xsk-xdptx-native", "xsk-xdptx-native-zc"}},
  };
  for (const XskBindRow& r : rows) {
    const auto modes = apply_xsk_bind(parse_modes(r.modes), r.bind);
    std::vector<std::string> names;
    for (const ModeSpec& m : modes) {
      names.push_back(m.name);
      const bool zc = m.name.ends_with(kZeroCopySuffix);
      for (const SideSpec* side : {&m.ping, &m.pong}) {
        const bool native_xsk = side->kind() == SideKind::kAfXdp && side->path.xdp_mode() == XdpMode::kNative;
        EXPECT_EQ(side->path.zero_copy(), zc && native_xsk) << m.name << ": " << describe(*side);
      }
    }
    EXPECT_EQ(names, r.names) << r.modes << " --xsk-bind " << to_string(r.bind);
  }
}

TEST(LatencyModes, ZeroCopyWithNoNativeAfXdpModeIsABadInput) {
  // The DPDK mode has no socket copylab binds: --xsk-bind zero-copy alone with it is refused.
  for (const char* modes : {"sock-block", "xsk-spin-generic,sock-spin", "dpdk-spin"}) {
    for (const XskBindChoice b : {XskBindChoice::kZeroCopy, XskBindChoice::kBoth}) {
      EXPECT_THROW(apply_xsk_bind(parse_modes(modes), b), Error) << modes;
    }
    EXPECT_NO_THROW(apply_xsk_bind(parse_modes(modes), XskBindChoice::kCopy)) << modes;
  }
}

TEST(LatencyStats, SpreadIsMedianAndExtremes) {
  const Spread s = spread_of({3, 1, 2});
  EXPECT_EQ(s.median, 2);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 3);
  EXPECT_EQ(spread_of({1, 2, 3, 4}).median, 2.5);
}

TEST(LatencyJson, SchemaKeysAreStable) {
  const nlohmann::json j = to_json(sample_results());
  for (const char* k : {"schema", "meta", "baseline", "base_payload_bytes", "modes", "results",
                        "sockperf"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["schema"], kLatencySchema);
  EXPECT_TRUE(j["sockperf"].is_array());
  EXPECT_EQ(j["baseline"], "sock-block");
  for (const char* k : {"name", "description", "ping", "pong"}) EXPECT_TRUE(j["modes"][0].contains(k)) << k;
  const auto& res = j["results"][0];
  for (const char* k : {"mode", "payload_bytes", "rate_pps", "reps", "error", "rtt", "rtt_merged",
                        "rtt_corrected", "rtt_corrected_merged", "one_way", "one_way_merged",
                        "one_way_split", "rtt_split", "packets", "runs"}) {
    EXPECT_TRUE(res.contains(k)) << k;
  }
  // Kernel RX split.
  for (const char* k : {"measured", "clock", "where", "source", "samples", "missing_timestamp",
                        "outside_bracket", "uncertainty_ns", "to_kernel_rx", "kernel_rx_to_user",
                        "total", "to_kernel_rx_merged", "kernel_rx_to_user_merged",
                        "total_merged"}) {
    EXPECT_TRUE(res["one_way_split"].contains(k)) << k;
  }
  EXPECT_EQ(res["one_way_split"]["measured"], true);
  EXPECT_NEAR(res["one_way_split"]["to_kernel_rx"]["p50_us"]["median"].get<double>(), 2.5, 0.01);
  EXPECT_NEAR(res["one_way_split"]["kernel_rx_to_user"]["p50_us"]["median"].get<double>(), 3.5,
              0.01);
  for (const char* k : {"measured", "samples", "to_kernel_rx", "kernel_rx_to_user", "total",
                        "uncertainty_ns", "conversion"}) {
    EXPECT_TRUE(res["runs"][0]["one_way_split"].contains(k)) << k;
  }
  // Not measured is said, with the reason, and carries no numbers.
  const auto& xsk = j["results"][1]["one_way_split"];
  EXPECT_EQ(xsk["measured"], false);
  EXPECT_NE(xsk["not_measured"].get<std::string>().find("af_xdp"), std::string::npos);
  EXPECT_FALSE(xsk.contains("to_kernel_rx"));
  EXPECT_EQ(j["results"][1]["runs"][0]["rtt_split"]["measured"], false);
  for (const char* k : {"runs", "min_us", "p25_us", "p50_us", "p75_us", "p90_us", "p99_us",
                        "p99_9_us", "p99_99_us", "p99_999_us", "max_us", "mean_us", "stddev_us"}) {
    EXPECT_TRUE(res["rtt"].contains(k)) << k;
  }
  for (const char* k : {"median", "min", "max"}) EXPECT_TRUE(res["rtt"]["p50_us"].contains(k));
  for (const char* k : {"count", "min_us", "p25_us", "p50_us", "p75_us", "p90_us", "p99_us",
                        "p99_9_us", "p99_99_us", "p99_999_us", "max_us"}) {
    EXPECT_TRUE(res["rtt_merged"].contains(k)) << k;
  }
  // 1000 samples per run, 3000 merged: p99.9 is resolved, p99.99 and p99.999 are not (null).
  EXPECT_TRUE(res["rtt"]["p99_9_us"].is_object());
  EXPECT_TRUE(res["rtt"]["p99_99_us"].is_null());
  EXPECT_TRUE(res["rtt_merged"]["p99_9_us"].is_number());
  EXPECT_TRUE(res["rtt_merged"]["p99_99_us"].is_null());
  EXPECT_TRUE(res["rtt_merged"]["p99_999_us"].is_null());
  EXPECT_TRUE(res["runs"][0]["rtt"]["p99_99_us"].is_null());
  // Ratios: to the baseline when it ran, null to a floor that did not.
  EXPECT_NEAR(res["rtt_p50_x_baseline"].get<double>(), 1.0, 1e-9);
  EXPECT_TRUE(res["rtt_p50_x_floor"].is_null());
  EXPECT_EQ(j["floor"], std::string(kFloorMode));
  for (const char* k : {"sent", "replies", "lost", "stale", "corrupt", "send_failures"}) {
    EXPECT_TRUE(res["packets"].contains(k)) << k;
  }
  for (const char* k : {"rep", "rtt", "one_way", "packets", "truncated", "ping_mode", "pong_mode"}) {
    EXPECT_TRUE(res["runs"][0].contains(k)) << k;
  }
  // Unpaced: no corrected histogram; reflector: no one-way.
  EXPECT_TRUE(res["rtt_corrected"].is_null());
  EXPECT_TRUE(j["results"][2]["one_way"].is_null());
  // Median of the three runs' p50 is the middle run's.
  EXPECT_NEAR(res["rtt"]["p50_us"]["median"].get<double>(), 10.5, 0.02);
}

TEST(LatencyTable, ShowsModesAndRatio) {
  const std::string t = render_latency_table(sample_results());
  EXPECT_NE(t.find("sock-block"), std::string::npos);
  EXPECT_NE(t.find("xsk-spin-native"), std::string::npos);
  EXPECT_NE(t.find("1.00"), std::string::npos);  // the baseline against itself
  EXPECT_NE(t.find("n/a"), std::string::npos);   // reflector has no one-way
  // The split section: numbers for the socket pong, "not measured" with the reason elsewhere.
  EXPECT_NE(t.find("Kernel RX timestamp split"), std::string::npos);
  EXPECT_NE(t.find("2.5 / "), std::string::npos);
  EXPECT_NE(t.find("not measured\n    pong: the af_xdp datapath"), std::string::npos);
  EXPECT_NE(t.find("CLOCK_REALTIME, net_timestamp_check()"), std::string::npos);
}

TEST(KernelRxSplit, ClampsWithinTheBoundAndRefusesOutside) {
  KernelRxSplit s(3);
  s.record(1000, 995, 2000, 10);   // kernel part -5 ns, within ±10: counts as 0
  s.record(1000, 2005, 2000, 10);  // user part -5 ns, within ±10: counts as 0
  s.record(1000, 980, 2000, 10);   // 20 ns before the send: not a split of this sample
  s.record(1000, 2050, 2000, 10);  // 50 ns after the receive
  EXPECT_EQ(s.outside_bracket, 2u);
  EXPECT_EQ(s.total.count(), 2u);
  EXPECT_EQ(s.to_kernel.min(), 0u);
  EXPECT_EQ(s.from_kernel.min(), 0u);
  EXPECT_EQ(s.to_kernel.max(), 1005u);  // the other sample: 2005 - 1000
  EXPECT_EQ(s.from_kernel.max(), 1005u);  // 2000 - 995
}

TEST(Sockperf, ParsesFullRttOutput) {
  const std::string out =
      "sockperf: == version #3.7-no.git ==\n"
      "sockperf: [Valid Duration] RunTime=2.990 sec; SentMessages=119284; ReceivedMessages=119284\n"
      "sockperf: ====> avg-rtt=25.116 (std-dev=4.529, mean-ad=1.447)\n"
      "sockperf: Summary: Round trip is 25.116 usec\n"
      "sockperf: Total 96665 observations; each percentile contains 966.65 observations\n"
      "sockperf: ---> <MAX> observation = 2292.010\n"
      "sockperf: ---> percentile 99.999 = 1073.425\n"
      "sockperf: ---> percentile 99.000 =   66.100\n"
      "sockperf: ---> percentile 50.000 =   24.600\n"
      "sockperf: ---> <MIN> observation =   21.946\n";
  const SockperfResult r = parse_sockperf_output(out);
  EXPECT_TRUE(r.ran);
  EXPECT_EQ(r.observations, 96665u);
  EXPECT_DOUBLE_EQ(*r.percentile("50.000"), 24.6);
  EXPECT_DOUBLE_EQ(*r.percentile("MAX"), 2292.01);
  EXPECT_DOUBLE_EQ(*r.percentile("MIN"), 21.946);
  EXPECT_DOUBLE_EQ(r.avg_rtt_us, 25.116);
  EXPECT_FALSE(parse_sockperf_output("garbage").ran);
}

// No key anywhere in the document holds a dot: one key style across copylab's JSON.
void expect_no_dotted_keys(const nlohmann::json& j, const std::string& where) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      // sockperf's own percentile names ("99.999") are values of its output, kept as printed.
      if (k == "rtt_percentiles_us") continue;
      EXPECT_EQ(k.find('.'), std::string::npos) << where << "/" << k;
      expect_no_dotted_keys(v, where + "/" + k);
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) expect_no_dotted_keys(j[i], where + "/" + std::to_string(i));
  }
}

TEST(LatencyJson, NoKeyHasADot) { expect_no_dotted_keys(to_json(sample_results()), ""); }

TEST(LatencyStats, PercentileNeedsASampleAboveIt) {
  EXPECT_EQ(samples_to_resolve(50), 2u);
  EXPECT_EQ(samples_to_resolve(99), 100u);
  EXPECT_EQ(samples_to_resolve(99.9), 1000u);
  EXPECT_EQ(samples_to_resolve(99.99), 10000u);
  EXPECT_EQ(samples_to_resolve(99.999), 100000u);
  EXPECT_FALSE(percentile_resolvable(99.999, 99999));
  EXPECT_TRUE(percentile_resolvable(99.999, 100000));
  EXPECT_TRUE(percentile_resolvable(100, 1));   // the max
  EXPECT_FALSE(percentile_resolvable(0, 0));    // nothing recorded
}

TEST(LatencyTable, FloorAndBaseColumnsOnlyWhenTheyRan) {
  const std::string with_floor =
      render_latency_table(sample_results("xsk-xdptx-native,sock-spin,xsk-spin-native"));
  EXPECT_NE(with_floor.find("x floor"), std::string::npos);
  EXPECT_EQ(with_floor.find("x base"), std::string::npos);  // sock-block did not run
  EXPECT_NE(with_floor.find("x floor = p50 / p50 of xsk-xdptx-native"), std::string::npos);
  const std::string no_floor = render_latency_table(sample_results());
  EXPECT_EQ(no_floor.find("x floor"), std::string::npos);
  EXPECT_NE(no_floor.find("x base"), std::string::npos);
}

TEST(LatencyTable, SockperfStylePercentileBlockMarksWhatItCannotResolve) {
  const std::string t = render_latency_table(sample_results());
  const std::size_t head = t.find("RTT percentiles");
  ASSERT_NE(head, std::string::npos);
  const std::size_t row = t.find('\n', head) + 1;
  const std::string columns = t.substr(row, t.find('\n', row) - row);
  std::size_t at = 0;
  for (const char* c : {"MIN", "25", "50", "75", "90", "99", "99.9", "99.99", "99.999", "MAX"}) {
    const std::size_t next = columns.find(c, at);
    EXPECT_NE(next, std::string::npos) << c << " in: " << columns;
    if (next != std::string::npos) at = next + std::string(c).size();
  }
  // 3000 merged samples: p99.99 and p99.999 are not resolvable, and the note says why.
  const std::size_t sock = t.find("sock-block", row);
  const std::string sock_row = t.substr(sock, t.find('\n', sock) - sock);
  EXPECT_NE(sock_row.find("3000"), std::string::npos) << sock_row;
  EXPECT_EQ(std::count(sock_row.begin(), sock_row.end(), '/'), 2) << sock_row;  // two "n/r"
  std::string flat = t;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  EXPECT_NE(flat.find("99.999 needs 100000"), std::string::npos);
}

TEST(LatencyTable, EveryLineFitsAHundredColumns) {
  LatencyResults r = sample_results("xsk-xdptx-native,sock-block,xsk-busypoll-native,xdp-tx-native");
  r.configs[2].error = "a long error " + std::string(200, 'x') + " that must wrap under its row";
  std::istringstream lines(render_latency_table(r));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    std::size_t cols = 0;
    for (unsigned char ch : line) cols += (ch & 0xC0) != 0x80;
    EXPECT_LE(cols, 100u) << line;
  }
  EXPECT_GT(n, 10);
}

TEST(TextWrap, KeepsEveryWordWithinTheWidth) {
  const std::string text = "alpha beta µs-gamma " + std::string(30, 'x') + " delta epsilon zeta";
  const auto lines = wrap_hanging(text, "    ", 24);
  ASSERT_GT(lines.size(), 2u);
  std::string joined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(display_width(lines[i]), 24u) << lines[i];
    if (i) {
      EXPECT_EQ(lines[i].rfind("    ", 0), 0u) << lines[i];
    }
    joined += lines[i];
  }
  EXPECT_EQ(lines[0].rfind("alpha", 0), 0u);
  // Nothing lost: the letters of the text, in order, once the indents and breaks are gone.
  auto letters = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c != ' ') o += c;
    }
    return o;
  };
  EXPECT_EQ(letters(joined), letters(text));
  EXPECT_EQ(display_width("µs ±"), 4u);
}

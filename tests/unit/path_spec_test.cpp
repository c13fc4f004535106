// PathSpec and the one factory from it to the traffic tools' command lines: the checks made
// where a spec is made, the literal flags each path × role produces, and every generated argv
// parsed back by the tools' own option set (the same CLI11 options the four tools register)
// into configs that carry what the spec asked for. No kernel state is touched.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "cli/common_options.hpp"
#include "cli/options_af_xdp.hpp"
#include "cli/options_socket.hpp"
#include "cli/options_traffic.hpp"
#include "cli/sched_fifo.hpp"
#include "common/error.hpp"
#include "pathspec/path_spec.hpp"
#include "pathspec/tool_argv.hpp"

using namespace copylab;

namespace {

using Args = std::vector<std::string>;

// Not netns/setup.sh's defaults, so a flag that fell back to a tool default shows.
TopologyConfig topo() {
  TopologyConfig t;
  t.ns_a = "cl-spec-a";
  t.ns_b = "cl-spec-b";
  t.dev_a = "cspeca";
  t.dev_b = "cspecb";
  t.mac_a = parse_mac("02:5c:07:00:00:0a");
  t.mac_b = parse_mac("02:5c:07:00:00:0b");
  t.ip_a = parse_ipv4("192.168.7.17");
  t.ip_b = parse_ipv4("192.168.7.42");
  return t;
}

// The value after `flag`, or "<absent>"; "<twice>" when the flag appears more than once.
std::string value_of(const Args& a, const std::string& flag) {
  const auto n = std::count(a.begin(), a.end(), flag);
  if (n == 0) return "<absent>";
  if (n > 1) return "<twice>";
  const auto it = std::find(a.begin(), a.end(), flag);
  return it + 1 == a.end() ? "<last>" : *(it + 1);
}
bool has(const Args& a, const std::string& flag) {
  return std::find(a.begin(), a.end(), flag) != a.end();
}
std::string joined(const Args& a) {
  std::string s;
  for (const auto& x : a) s += x + " ";
  return s;
}

// ---- made once, checked once ----

TEST(PathSpec, AfXdpCannotBlock) {
  try {
    af_xdp_path(XdpMode::kNative, WaitPolicy::kBlock);
    FAIL() << "an AF_XDP path that blocks was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("block"), std::string::npos) << e.one_line();
    EXPECT_NE(e.fix().find("spin"), std::string::npos) << e.one_line();
  }
}

TEST(PathSpec, DpdkOnlySpinsOrBusyPolls) {
  for (const WaitPolicy w : {WaitPolicy::kBlock, WaitPolicy::kPoll}) {
    try {
      dpdk_path(w);
      FAIL() << "a DPDK path waiting with " << to_string(w) << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(e.fix().find("busy-poll"), std::string::npos) << e.one_line();
    }
  }
  EXPECT_TRUE(dpdk_path(WaitPolicy::kBusyPoll).dpdk());
  EXPECT_THROW(dpdk_path().with_zero_copy(true), Error);
  EXPECT_EQ(describe(dpdk_path().on_cpu(1)), "dpdk/spin/cpu1");
}

TEST(PathSpec, CpuBelowMinusOneIsRefused) {
  EXPECT_THROW(socket_path(WaitPolicy::kSpin, -2), Error);
  EXPECT_THROW(af_xdp_path(XdpMode::kAuto).on_cpu(-7), Error);
  EXPECT_EQ(socket_path().on_cpu(3).cpu(), 3);
  EXPECT_EQ(socket_path().on_cpu(3).on_cpu(-1).cpu(), -1);
}

TEST(PathSpec, SocketPathIgnoresXdpFieldsSoEqualPathsCompareEqual) {
  const PathSpec a = make_path_spec(DatapathKind::kSocket, XdpMode::kNative, WaitPolicy::kSpin, true, 0);
  const PathSpec b = make_path_spec(DatapathKind::kSocket, XdpMode::kGeneric, WaitPolicy::kSpin, false, 0);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.xdp_mode(), XdpMode::kAuto);
  EXPECT_FALSE(a.need_wakeup());
  EXPECT_NE(a, socket_path(WaitPolicy::kBlock, 0));
  EXPECT_NE(af_xdp_path(XdpMode::kNative), af_xdp_path(XdpMode::kGeneric));
}

TEST(PathSpec, ZeroCopyIsAnAfXdpBindOnly) {
  try {
    socket_path().with_zero_copy(true);
    FAIL() << "a socket path bound zero-copy was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("XDP_ZEROCOPY"), std::string::npos) << e.one_line();
  }
  EXPECT_EQ(socket_path().with_zero_copy(false), socket_path());
  const PathSpec zc = af_xdp_path(XdpMode::kNative).with_zero_copy(true);
  EXPECT_TRUE(zc.zero_copy());
  EXPECT_TRUE(zc.on_cpu(1).zero_copy()) << "on_cpu dropped the bind";
  EXPECT_NE(zc, af_xdp_path(XdpMode::kNative));
  EXPECT_EQ(describe(zc.on_cpu(1)), "af_xdp/spin/native/need_wakeup/zero-copy/cpu1");
}

TEST(PathSpec, NamesRoundTrip) {
  for (const DatapathKind d : {DatapathKind::kSocket, DatapathKind::kAfXdp, DatapathKind::kDpdk}) {
    EXPECT_EQ(parse_datapath_kind(to_string(d)), d);
  }
  for (const WaitPolicy w : {WaitPolicy::kBlock, WaitPolicy::kSpin, WaitPolicy::kPoll, WaitPolicy::kBusyPoll}) {
    EXPECT_EQ(parse_wait_policy(to_string(w)), w);
  }
  EXPECT_EQ(parse_wait_policy("busy-poll"), WaitPolicy::kBusyPoll);
  EXPECT_FALSE(parse_wait_policy("busypoll"));
  EXPECT_FALSE(parse_datapath_kind("xdp"));
  EXPECT_EQ(describe(af_xdp_path(XdpMode::kGeneric, WaitPolicy::kPoll, true, 1)),
            "af_xdp/poll/generic/need_wakeup/cpu1");
  EXPECT_EQ(describe(socket_path(WaitPolicy::kBusyPoll)), "socket/busy-poll");
}

// ---- literal flags per row ----

struct FlagRow {
  std::string name;
  PathSpec path;
  ToolRole role;
  std::string tool;
  std::vector<std::pair<std::string, std::string>> values;  // flag → value ("" = bare flag)
  std::vector<std::string> absent;
};

void PrintTo(const FlagRow& r, std::ostream* os) { *os << r.name; }

class ToolArgvRows : public ::testing::TestWithParam<FlagRow> {};

TEST_P(ToolArgvRows, LiteralFlags) {
  const FlagRow& r = GetParam();
  ToolLaunch l;
  l.path = r.path;
  l.role = r.role;
  const TopologyConfig t = topo();
  const Args argv = tool_argv(t, l, "/opt/copylab/bin");
  const Args prefix{"ip", "netns", "exec", r.role == ToolRole::kSender ? "cl-spec-a" : "cl-spec-b",
                    "/opt/copylab/bin/" + r.tool};
  ASSERT_GE(argv.size(), prefix.size()) << joined(argv);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), argv.begin())) << joined(argv);
  const Args args = tool_args(t, l);
  EXPECT_TRUE(std::equal(args.begin(), args.end(), argv.begin() + static_cast<long>(prefix.size())));
  for (const auto& [flag, value] : r.values) {
    if (value.empty()) {
      EXPECT_EQ(std::count(args.begin(), args.end(), flag), 1) << flag << " in " << joined(args);
    } else {
      EXPECT_EQ(value_of(args, flag), value) << flag << " in " << joined(args);
    }
  }
  for (const auto& flag : r.absent) EXPECT_FALSE(has(args, flag)) << flag << " in " << joined(args);
}

const std::vector<std::string> kXdpOnly{"--mode", "--need-wakeup", "--no-need-wakeup", "--src-mac",
                                        "--dst-mac", "--ring-size", "--frame-count"};

INSTANTIATE_TEST_SUITE_P(
    PathRoles, ToolArgvRows,
    ::testing::Values(
        FlagRow{"SocketBlockSender", socket_path(), ToolRole::kSender, "sock_sender",
                {{"--dev", "cspeca"}, {"--src-ip", "192.168.7.17"}, {"--dst-ip", "192.168.7.42"},
                 {"--wait", "block"}, {"--cpu", "-1"}},
                kXdpOnly},
        FlagRow{"SocketBusyPollReceiverCpu1", socket_path(WaitPolicy::kBusyPoll, 1),
                ToolRole::kReceiver, "sock_receiver",
                {{"--dev", "cspecb"}, {"--dst-ip", "192.168.7.42"}, {"--wait", "busy-poll"},
                 {"--cpu", "1"}},
                {"--src-ip", "--src-port", "--mode", "--need-wakeup", "--no-need-wakeup"}},
        FlagRow{"SocketSpinReceiver", socket_path(WaitPolicy::kSpin), ToolRole::kReceiver,
                "sock_receiver", {{"--wait", "spin"}}, {"--mode"}},
        FlagRow{"AfXdpNativeSpinSender", af_xdp_path(XdpMode::kNative), ToolRole::kSender,
                "xdp_sender",
                {{"--dev", "cspeca"}, {"--src-mac", "02:5c:07:00:00:0a"},
                 {"--dst-mac", "02:5c:07:00:00:0b"}, {"--src-ip", "192.168.7.17"},
                 {"--dst-ip", "192.168.7.42"}, {"--wait", "spin"}, {"--need-wakeup", ""}},
                // a TX-only sender attaches no program: no --mode
                {"--mode", "--no-need-wakeup"}},
        FlagRow{"AfXdpGenericPollReceiverNoWakeup",
                af_xdp_path(XdpMode::kGeneric, WaitPolicy::kPoll, false, 0), ToolRole::kReceiver,
                "xdp_receiver",
                {{"--dev", "cspecb"}, {"--mode", "generic"}, {"--wait", "poll"},
                 {"--no-need-wakeup", ""}, {"--cpu", "0"}},
                {"--need-wakeup", "--src-ip", "--dst-ip", "--src-mac", "--dst-mac"}},
        FlagRow{"AfXdpAutoBusyPollReceiver", af_xdp_path(XdpMode::kAuto, WaitPolicy::kBusyPoll),
                ToolRole::kReceiver, "xdp_receiver", {{"--mode", "auto"}, {"--wait", "busy-poll"}},
                {"--dst-ip"}},
        FlagRow{"AfXdpNativeReceiver", af_xdp_path(XdpMode::kNative), ToolRole::kReceiver,
                "xdp_receiver", {{"--mode", "native"}, {"--wait", "spin"}}, {"--zero-copy"}},
        FlagRow{"AfXdpZeroCopyReceiver", af_xdp_path(XdpMode::kNative).with_zero_copy(true),
                ToolRole::kReceiver, "xdp_receiver", {{"--mode", "native"}, {"--zero-copy", ""}},
                {"--copy"}},
        FlagRow{"AfXdpZeroCopySender", af_xdp_path(XdpMode::kNative).with_zero_copy(true),
                ToolRole::kSender, "xdp_sender", {{"--zero-copy", ""}}, {"--copy", "--mode"}},
        // DPDK: both MACs on the sender (no ARP through the PMD), the port only on the
        // receiver, none of the AF_XDP tools' bind or attach flags.
        FlagRow{"DpdkSpinSender", dpdk_path(), ToolRole::kSender, "dpdk_sender",
                {{"--dev", "cspeca"}, {"--src-mac", "02:5c:07:00:00:0a"},
                 {"--dst-mac", "02:5c:07:00:00:0b"}, {"--src-ip", "192.168.7.17"},
                 {"--dst-ip", "192.168.7.42"}, {"--wait", "spin"}},
                {"--mode", "--need-wakeup", "--no-need-wakeup", "--zero-copy"}},
        FlagRow{"DpdkBusyPollReceiverCpu1", dpdk_path(WaitPolicy::kBusyPoll, 1),
                ToolRole::kReceiver, "dpdk_receiver",
                {{"--dev", "cspecb"}, {"--wait", "busy-poll"}, {"--cpu", "1"}},
                {"--dst-ip", "--src-ip", "--mode", "--need-wakeup", "--no-need-wakeup",
                 "--frame-count"}}),
    [](const ::testing::TestParamInfo<FlagRow>& i) { return i.param.name; });

// ---- every path × role parsed back by the tools' option set ----

// What the tool's parser made of an argv.
struct Parsed {
  std::string dev;
  WaitPolicy wait = WaitPolicy::kBlock;
  int cpu = -2;
  XdpMode mode = XdpMode::kAuto;  // AF_XDP
  bool need_wakeup = false;       // AF_XDP
  bool zero_copy = false;         // AF_XDP
  std::string src_ip, dst_ip, src_mac, dst_mac;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t ring_size = 0, frame_count = 0;  // AF_XDP
  int rcvbuf = 0;                                // socket
  int sched_fifo = 0;                            // receiver
  TrafficConfig traffic;
  ReceiverLimits limits;
  RunOutputOptions out;
  CommonOptions common;
};

// The option set datapath_tool_main registers (cli/tool_main.cpp), with the sender's
// --start-after-file or the receiver's limits, and the datapath's own options; CLI11 throws on
// an unknown, repeated or malformed flag.
Parsed parse_as_tool(const PathSpec& path, ToolRole role, Args args) {
  const bool sender = role == ToolRole::kSender;
  CLI::App app;
  Parsed p;
  AfXdpConfig xcfg;
  SocketConfig scfg;
  add_common_options(app, p.common);
  add_traffic_options(app, p.traffic, sender);
  add_run_output_options(app, p.out);
  if (sender) {
    add_start_after_option(app, p.out);
  } else {
    add_receiver_limit_options(app, p.limits);
    add_sched_fifo_option(app, p.sched_fifo, kReceiverSchedFifoHelp);
  }
  if (path.af_xdp()) {
    add_af_xdp_options(app, xcfg, sender);
  } else {
    add_socket_options(app, scfg, sender);
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector form reversed
  app.parse(args);
  p.cpu = p.out.cpu;
  if (path.af_xdp()) {
    p.dev = xcfg.dev;
    p.wait = xcfg.wait;
    p.mode = xcfg.mode;
    p.need_wakeup = xcfg.need_wakeup;
    p.zero_copy = xcfg.zero_copy;
    p.src_ip = xcfg.frame.src_ip.str();
    p.dst_ip = xcfg.frame.dst_ip.str();
    p.src_mac = xcfg.frame.src_mac.str();
    p.dst_mac = xcfg.frame.dst_mac.str();
    p.src_port = xcfg.frame.src_port;
    p.dst_port = xcfg.frame.dst_port;
    p.ring_size = xcfg.ring_size;
    p.frame_count = xcfg.frame_count;
  } else {
    p.dev = scfg.dev;
    p.wait = scfg.wait;
    p.src_ip = scfg.src_ip;
    p.dst_ip = scfg.dst_ip;
    p.src_port = scfg.src_port;
    p.dst_port = scfg.dst_port;
    p.rcvbuf = scfg.rcvbuf;
  }
  return p;
}

using Combo = std::tuple<DatapathKind, XdpMode, WaitPolicy, ToolRole>;

class ToolArgvParsesBack : public ::testing::TestWithParam<Combo> {};

TEST_P(ToolArgvParsesBack, TheToolReadsWhatTheSpecSays) {
  const auto [datapath, mode, wait, role] = GetParam();
  if (datapath == DatapathKind::kAfXdp && wait == WaitPolicy::kBlock) {
    EXPECT_THROW(make_path_spec(datapath, mode, wait, false, 0), Error);
    return;
  }
  const bool sender = role == ToolRole::kSender;
  const bool xdp = datapath == DatapathKind::kAfXdp;
  // need_wakeup the opposite of the tools' default (on), so a dropped flag shows.
  const PathSpec path = make_path_spec(datapath, mode, wait, /*need_wakeup=*/false, /*cpu=*/0);
  ToolLaunch l;
  l.path = path;
  l.role = role;
  l.dst_port = 4242;
  if (sender) l.src_port = 4141;
  l.size = 200;
  l.count = 12345;
  l.duration_s = 7.5;
  if (sender) {
    l.rate_pps = 2500;
    l.start_after_file = "/tmp/go";
  } else {
    l.idle_timeout_s = 3;
    l.stop_after_file = "/tmp/done";
    l.drain_s = 0.5;
    l.per_second = false;
    l.sched_fifo = 11;
    if (xdp) {
      l.ring_size = 8192;
      l.frame_count = 8192;
    } else {
      l.rcvbuf = 8 << 20;
    }
  }
  l.json_file = "/tmp/result.json";
  l.ready_file = "/tmp/ready";
  l.verbose = true;
  const TopologyConfig t = topo();
  const Args args = tool_args(t, l);

  Parsed p;
  try {
    p = parse_as_tool(path, role, args);
  } catch (const CLI::Error& e) {
    FAIL() << tool_name(datapath, role) << " refused " << joined(args) << ": " << e.what();
  }
  EXPECT_EQ(p.dev, sender ? "cspeca" : "cspecb");
  EXPECT_EQ(p.wait, wait);
  EXPECT_EQ(p.cpu, 0);
  EXPECT_EQ(p.dst_port, 4242);
  if (xdp) {
    EXPECT_FALSE(p.need_wakeup);
    // The receiver attaches the steering program in the spec's mode; the sender keeps its own.
    if (!sender) {
      EXPECT_EQ(p.mode, mode);
    }
  }
  if (sender) {
    EXPECT_EQ(p.src_port, 4141);
    EXPECT_EQ(p.src_ip, "192.168.7.17");
    EXPECT_EQ(p.dst_ip, "192.168.7.42");
    if (xdp) {
      EXPECT_EQ(p.src_mac, "02:5c:07:00:00:0a");
      EXPECT_EQ(p.dst_mac, "02:5c:07:00:00:0b");
    }
    EXPECT_DOUBLE_EQ(p.traffic.rate_pps, 2500);
    EXPECT_EQ(p.out.start_after_file, "/tmp/go");
  } else {
    if (!xdp) {
      EXPECT_EQ(p.dst_ip, "192.168.7.42");
    }
    EXPECT_DOUBLE_EQ(p.limits.idle_timeout_s, 3);
    EXPECT_EQ(p.limits.stop_after_file, "/tmp/done");
    EXPECT_DOUBLE_EQ(p.limits.drain_s, 0.5);
    EXPECT_FALSE(p.limits.per_second);
    EXPECT_EQ(p.sched_fifo, 11);
    if (xdp) {
      EXPECT_EQ(p.ring_size, 8192u);
      EXPECT_EQ(p.frame_count, 8192u);
    } else {
      EXPECT_EQ(p.rcvbuf, 8 << 20);
    }
  }
  EXPECT_EQ(p.traffic.payload_size, 200u);
  EXPECT_EQ(p.traffic.count, 12345u);
  EXPECT_DOUBLE_EQ(p.traffic.duration_s, 7.5);
  EXPECT_EQ(p.out.ready_file, "/tmp/ready");
  EXPECT_EQ(p.common.json_file, "/tmp/result.json");
  EXPECT_EQ(p.common.verbosity, 1);
}

std::string combo_name(const ::testing::TestParamInfo<Combo>& i) {
  const auto [d, m, w, r] = i.param;
  std::string s = std::string(to_string(d)) + "_" + to_string(m) + "_" + to_string(w) + "_" +
                  (r == ToolRole::kSender ? "sender" : "receiver");
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    AllPaths, ToolArgvParsesBack,
    ::testing::Combine(::testing::Values(DatapathKind::kSocket, DatapathKind::kAfXdp),
                       ::testing::Values(XdpMode::kNative, XdpMode::kGeneric, XdpMode::kAuto),
                       ::testing::Values(WaitPolicy::kBlock, WaitPolicy::kSpin, WaitPolicy::kPoll,
                                         WaitPolicy::kBusyPoll),
                       ::testing::Values(ToolRole::kSender, ToolRole::kReceiver)),
    combo_name);

// ---- flags a role or datapath does not take are refused, not passed on ----

TEST(ToolArgv, RefusesFlagsTheToolDoesNotTake) {
  const TopologyConfig t = topo();
  ToolLaunch rx;
  rx.role = ToolRole::kReceiver;
  rx.rate_pps = 100;
  EXPECT_THROW(tool_args(t, rx), Error);
  ToolLaunch sock_ring;
  sock_ring.role = ToolRole::kReceiver;
  sock_ring.ring_size = 4096;
  EXPECT_THROW(tool_args(t, sock_ring), Error);
  ToolLaunch xdp_rcvbuf;
  xdp_rcvbuf.path = af_xdp_path(XdpMode::kNative);
  xdp_rcvbuf.rcvbuf = 1 << 20;
  EXPECT_THROW(tool_args(t, xdp_rcvbuf), Error);
  ToolLaunch dpdk_frames;
  dpdk_frames.path = dpdk_path();
  dpdk_frames.role = ToolRole::kReceiver;
  dpdk_frames.frame_count = 4096;  // the PMD's UMEM is its mbuf pool: --mbufs
  EXPECT_THROW(tool_args(t, dpdk_frames), Error);
  ToolLaunch xdp_mbufs;
  xdp_mbufs.path = af_xdp_path(XdpMode::kNative);
  xdp_mbufs.mbufs = 8192;
  EXPECT_THROW(tool_args(t, xdp_mbufs), Error);
  ToolLaunch tx;
  tx.stop_after_file = "/tmp/done";
  EXPECT_THROW(tool_args(t, tx), Error);
  ToolLaunch tx_fifo;
  tx_fifo.sched_fifo = 10;
  EXPECT_THROW(tool_args(t, tx_fifo), Error);
  ToolLaunch rx_port;
  rx_port.role = ToolRole::kReceiver;
  rx_port.src_port = 1;
  EXPECT_THROW(tool_args(t, rx_port), Error);
}

TEST(ToolArgv, ZeroCopyBindParsesBackOnBothRoles) {
  for (const ToolRole role : {ToolRole::kSender, ToolRole::kReceiver}) {
    for (const bool zc : {false, true}) {
      ToolLaunch l;
      l.path = af_xdp_path(XdpMode::kNative).with_zero_copy(zc);
      l.role = role;
      const Parsed p = parse_as_tool(l.path, role, tool_args(topo(), l));
      EXPECT_EQ(p.zero_copy, zc) << (role == ToolRole::kSender ? "sender" : "receiver");
    }
  }
}

TEST(ToolArgv, ToolNames) {
  EXPECT_STREQ(tool_name(DatapathKind::kSocket, ToolRole::kSender), "sock_sender");
  EXPECT_STREQ(tool_name(DatapathKind::kSocket, ToolRole::kReceiver), "sock_receiver");
  EXPECT_STREQ(tool_name(DatapathKind::kAfXdp, ToolRole::kSender), "xdp_sender");
  EXPECT_STREQ(tool_name(DatapathKind::kAfXdp, ToolRole::kReceiver), "xdp_receiver");
  EXPECT_STREQ(tool_name(DatapathKind::kDpdk, ToolRole::kSender), "dpdk_sender");
  EXPECT_STREQ(tool_name(DatapathKind::kDpdk, ToolRole::kReceiver), "dpdk_receiver");
  EXPECT_EQ(all_tool_names(),
            (std::vector<std::string>{"sock_sender", "sock_receiver", "xdp_sender", "xdp_receiver"}));
}

}  // namespace

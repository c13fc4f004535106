// The middle box A -> M -> B on the three-namespace topology (netns/setup.sh --ns-m): the
// existing sender in A, a forwarder in M (xdp_forwarder on one shared UMEM, natively and
// generically attached, or sock_forwarder, the socket relay), the existing receiver in B. Every
// frame must arrive intact and in order, the AF_XDP forwarder's second socket must share the
// first one's UMEM, and at the end every UMEM frame must be accounted for. Also: the topology's
// idempotence, bad input refused before anything is attached, and SIGINT / SIGKILL leaving nothing
// attached (the next run reclaims a killed one's program).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "netns/command.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "pathspec/tool_argv.hpp"
#include "tests/integration/tool_harness.hpp"

namespace copylab::test {
namespace {

using std::chrono::seconds;

enum class Fwd { kXdp, kSock };

struct ForwardRow {
  const char* name;
  Fwd fwd;
  XdpMode mode;        // the steering program's mode (AF_XDP rows)
  std::uint64_t count;
  double rate_pps;
};

void PrintTo(const ForwardRow& r, std::ostream* os) { *os << r.name; }

// A paced million through the native forwarder (about 20 s); smaller runs elsewhere.
// The forwarder in M runs SCHED_FIFO (--sched-fifo) and waits in poll(2): as SCHED_OTHER, next
// to CPU-bound tasks at a higher weight (nice -5 compiles, stress-ng), it waited long enough
// after a wakeup for its 8192-entry RX ring (164 ms at 50,000 frames/s) to overflow (measured:
// RX backlog high-water mark 7712-7840 and rx_ring_full in 2 of 7 runs); as SCHED_FIFO its
// high-water mark under the same load stayed below 240 frames (about 5 ms).
constexpr const char* kForwarderFifoPriority = "10";

const ForwardRow kRows[] = {
    {"XdpNative_1M", Fwd::kXdp, XdpMode::kNative, 1'000'000, 50'000},
    {"XdpGeneric_100k", Fwd::kXdp, XdpMode::kGeneric, 100'000, 50'000},
    {"SockRelay_100k", Fwd::kSock, XdpMode::kAuto, 100'000, 40'000},
};

// The XDP attach mode the kernel reports for a device (IFLA_XDP_ATTACHED as `ip -j link` prints
// it: 1 native, 2 generic), "none" without a program.
std::string kernel_xdp_mode(const std::string& ns, const std::string& dev) {
  const std::string xdp = attached_xdp(ns, dev);
  if (xdp.empty()) return "none";
  const auto j = nlohmann::json::parse(xdp, nullptr, false);
  switch (j.value("mode", 0)) {
    case 1: return "native";
    case 2: return "generic";
    default: return "other: " + xdp;
  }
}

class ForwardTest : public ::testing::Test {
 protected:
  void SetUp() override { topo_.emplace(Topology::create_unique_forward("fwd")); }
  void TearDown() override {
    for (const auto& [ns, dev] : {std::pair{t().ns_a, t().dev_a}, std::pair{t().ns_m, t().dev_ma},
                                  std::pair{t().ns_m, t().dev_mb}, std::pair{t().ns_b, t().dev_b}}) {
      EXPECT_EQ(attached_xdp(ns, dev), "") << ns << "/" << dev;
    }
    topo_.reset();
  }
  const TopologyConfig& t() const { return topo_->config(); }

  std::vector<std::string> xdp_forwarder_args(XdpMode mode) const {
    return {"--in-dev", t().dev_ma, "--out-dev", t().dev_mb, "--dst-mac", t().mac_b.str(),
            "--mode", to_string(mode)};
  }

  std::optional<Topology> topo_;
};

class ForwardTable : public ForwardTest, public ::testing::WithParamInterface<ForwardRow> {};

TEST_P(ForwardTable, EveryFrameArrivesIntactInOrderThroughM) {
  const ForwardRow& row = GetParam();
  const std::uint64_t n = row.count;
  constexpr std::size_t kSize = 64;

  // B: the socket receiver, with a buffer that outlasts a descheduled second (the kernel in B
  // validates every frame's IPv4 and UDP checksums before it gets there).
  ToolLaunch rx;
  rx.path = socket_path();
  rx.role = ToolRole::kReceiver;
  rx.count = n;
  rx.size = kSize;
  rx.idle_timeout_s = 0;
  rx.duration_s = 120;
  rx.per_second = false;
  rx.rcvbuf = 256 << 20;
  const LaunchCommand rc = launch_command(t(), rx);
  auto receiver = start_tool(rc.ns, rc.tool, rc.args);
  ASSERT_TRUE(receiver.process.running()) << receiver.finish().output;

  // M: the forwarder, sized to hold a descheduled fraction of a second of frames.
  std::vector<std::string> fargs;
  std::string ftool;
  if (row.fwd == Fwd::kXdp) {
    ftool = "xdp_forwarder";
    fargs = xdp_forwarder_args(row.mode);
    fargs.insert(fargs.end(), {"--ring-size", "8192", "--frame-count", "16384", "--wait", "poll"});
  } else {
    ftool = "sock_forwarder";
    fargs = {"--in-dev", t().dev_ma, "--out-dev", t().dev_mb, "--listen-ip", t().ip_ma.str(),
             "--dst-ip", t().ip_b.str(), "--rcvbuf", std::to_string(256 << 20)};
  }
  fargs.insert(fargs.end(), {"--count", std::to_string(n), "--duration", "120", "--no-per-second",
                             "--sched-fifo", kForwarderFifoPriority});
  auto fwd = start_tool(t().ns_m, ftool, fargs);
  ASSERT_TRUE(fwd.process.running()) << fwd.finish().output;
  if (row.fwd == Fwd::kXdp) {
    // The kernel's view while the forwarder is ready: the program on M's ingress only.
    EXPECT_EQ(kernel_xdp_mode(t().ns_m, t().dev_ma), to_string(row.mode));
    EXPECT_EQ(kernel_xdp_mode(t().ns_m, t().dev_mb), "none");
  }

  // A: the AF_XDP sender addresses M's ingress MAC (its full checksums pass B's kernel
  // unchanged, since the forwarder touches only the Ethernet header); the socket sender
  // addresses the relay's address in M.
  TopologyConfig via = t();
  ToolLaunch tx;
  tx.role = ToolRole::kSender;
  tx.count = n;
  tx.size = kSize;
  tx.rate_pps = row.rate_pps;
  if (row.fwd == Fwd::kXdp) {
    tx.path = af_xdp_path(XdpMode::kAuto);
    via.mac_b = t().mac_ma;
  } else {
    tx.path = socket_path();
    via.ip_b = t().ip_ma;
  }
  const LaunchCommand tc = launch_command(via, tx);
  const ToolRun sent = run_tool(tc.ns, tc.tool, tc.args, seconds(120));
  const ToolRun done = receiver.finish(seconds(120));
  const ToolRun f = fwd.finish(seconds(30));

  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  ASSERT_EQ(done.exit_code, 0) << done.output << f.output;
  ASSERT_EQ(f.exit_code, 0) << f.output;
  ASSERT_TRUE(f.json.is_object()) << f.output;
  EXPECT_EQ(sent.json["result"]["sent"], n);
  const auto& v = done.json["result"]["validator"];
  EXPECT_EQ(v["unique"], n) << done.json["result"].dump(2) << "\n" << f.json["counters"].dump(2);
  EXPECT_EQ(v["corrupt"], 0);
  EXPECT_EQ(v["duplicates"], 0);
  EXPECT_EQ(v["reordered"], 0);
  EXPECT_EQ(v["highest_seq"], n - 1);
  EXPECT_EQ(v["payload_bytes"], n * kSize);
  EXPECT_EQ(f.json["result"]["forwarded"], n);
  EXPECT_EQ(f.json["result"]["stopped_by"], "count");
  // The kernel's own view of the forwarding loop's policy.
  EXPECT_EQ(f.json["sched"]["policy"], "SCHED_FIFO") << f.json["sched"].dump();
  EXPECT_EQ(f.json["sched"]["priority"], std::stoi(kForwarderFifoPriority));

  if (row.fwd == Fwd::kXdp) {
    const auto& m = f.json["mode"];
    EXPECT_EQ(m["xdp_attach"], to_string(row.mode)) << m.dump();
    EXPECT_EQ(m["bind"], "copy");
    // Socket 2 was bound with XDP_SHARED_UMEM naming socket 1's fd, as a socket of its own.
    const auto& s = m["shared_umem"];
    EXPECT_EQ(s["second_socket"]["bind_flags"], "XDP_SHARED_UMEM") << s.dump();
    EXPECT_EQ(s["second_socket"]["shared_umem_fd"], s["first_socket"]["fd"]) << s.dump();
    EXPECT_NE(s["second_socket"]["fd"], s["first_socket"]["fd"]) << s.dump();
    EXPECT_EQ(m["rewrite"]["dst_mac"], t().mac_b.str());
    EXPECT_EQ(m["rewrite"]["src_mac"], t().mac_mb.str());
    // The kernel's counters agree: every frame was redirected into socket 1 and none dropped.
    const auto& c = f.json["counters"];
    EXPECT_EQ(c["steer"]["redirected"], n) << c.dump(2);
    EXPECT_EQ(c["xdp_statistics_in"]["rx_dropped"], 0) << c.dump(2);
    EXPECT_EQ(c["xdp_statistics_out"]["tx_invalid_descs"], 0) << c.dump(2);
    EXPECT_EQ(c["tx_completions"], n);
    // The ring never filled: the furthest the forwarder fell behind stayed below its RX ring.
    EXPECT_LT(c["rx_backlog_max"].get<std::uint64_t>(), 8192U) << c.dump(2);
    EXPECT_GT(c["fill_ring_low"].get<std::uint64_t>(), 0U) << c.dump(2);
    // Every UMEM frame accounted for: none read and left behind, none still on a TX ring.
    const auto& fr = c["frames"];
    EXPECT_EQ(fr["invariant"], "holds") << fr.dump();
    EXPECT_EQ(fr["accounted"], fr["total"]) << fr.dump();
    EXPECT_EQ(fr["total"], 16384);
    EXPECT_EQ(fr["rx"], 0) << fr.dump();
    EXPECT_EQ(fr["tx"], 0) << fr.dump();
    EXPECT_EQ(fr["completion"], 0) << fr.dump();
  } else {
    EXPECT_EQ(f.json["counters"]["received"], n);
    EXPECT_EQ(f.json["counters"]["truncated"], 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, ForwardTable, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<ForwardRow>& row) { return std::string(row.param.name); });

// setup.sh with the same options a second time changes nothing; teardown removes all three
// namespaces (checked after the fixture's destroy).
TEST_F(ForwardTest, TopologyIsIdempotentAndRoutesThroughM) {
  std::vector<std::string> argv{netns_script_dir() + "/setup.sh"};
  for (const std::string& a : topology_script_args(t())) argv.push_back(a);
  const CommandResult again = run_command(argv);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("already set up"), std::string::npos) << again.out;
  // A reaches B's address at M's ingress MAC; M does not forward in the kernel.
  const CommandResult neigh = run_command({"ip", "-n", t().ns_a, "neigh", "show", t().ip_b.str()});
  EXPECT_NE(neigh.out.find(t().mac_ma.str()), std::string::npos) << neigh.out;
  const CommandResult fwd = run_command({"ip", "netns", "exec", t().ns_m, "sysctl", "-n",
                                         "net.ipv4.ip_forward"});
  EXPECT_EQ(fwd.out, "0\n");
  const TopologyConfig cfg = t();
  topo_->destroy();
  for (const std::string& ns : {cfg.ns_a, cfg.ns_m, cfg.ns_b}) {
    EXPECT_FALSE(netns_exists(ns)) << ns;
  }
  topo_.reset();
  topo_.emplace(Topology::create_unique_forward("fwd"));  // for TearDown's checks
}

// One line naming the fix, exit 2, nothing attached.
TEST_F(ForwardTest, BadInputIsOneLineWithAFixAndAttachesNothing) {
  std::vector<std::string> same{"--in-dev", t().dev_ma, "--out-dev", t().dev_ma, "--dst-mac",
                                t().mac_b.str()};
  std::vector<std::string> missing{"--in-dev", t().dev_ma, "--out-dev", "nosuchdev0", "--dst-mac",
                                   t().mac_b.str()};
  for (const auto& args : {same, missing}) {
    for (const char* tool : {"xdp_forwarder", "sock_forwarder"}) {
      std::vector<std::string> a = args;
      if (std::string(tool) == "sock_forwarder") {
        a = {"--in-dev", args[1], "--out-dev", args[3], "--dst-ip", t().ip_b.str()};
      }
      const ToolRun r = run_tool(t().ns_m, tool, a, seconds(30), false);
      EXPECT_EQ(r.exit_code, 2) << tool << ": " << r.output;
      EXPECT_NE(r.last_line().find("Fix:"), std::string::npos) << r.output;
      EXPECT_EQ(r.lines_containing("error:"), 1) << r.output;
    }
  }
  // A SCHED_FIFO forwarder that would spin.
  for (const char* tool : {"xdp_forwarder", "sock_forwarder"}) {
    std::vector<std::string> a = std::string(tool) == "xdp_forwarder"
                                     ? xdp_forwarder_args(XdpMode::kNative)
                                     : std::vector<std::string>{"--in-dev", t().dev_ma, "--out-dev",
                                                                t().dev_mb, "--dst-ip", t().ip_b.str()};
    a.insert(a.end(), {"--sched-fifo", "10", "--wait", "spin"});
    const ToolRun r = run_tool(t().ns_m, tool, a, seconds(30), false);
    EXPECT_EQ(r.exit_code, 2) << tool << ": " << r.output;
    EXPECT_NE(r.last_line().find("--wait poll"), std::string::npos) << r.output;
    EXPECT_EQ(r.lines_containing("error:"), 1) << r.output;
  }
  // An egress MTU below the ingress MTU.
  ASSERT_EQ(run_command({"ip", "-n", t().ns_m, "link", "set", "dev", t().dev_mb, "mtu", "1400"})
                .exit_code,
            0);
  const ToolRun mtu = run_tool(t().ns_m, "xdp_forwarder", xdp_forwarder_args(XdpMode::kNative),
                               seconds(30), false);
  EXPECT_EQ(mtu.exit_code, 2) << mtu.output;
  EXPECT_NE(mtu.last_line().find("MTU 1400"), std::string::npos) << mtu.output;
  EXPECT_NE(mtu.last_line().find("mtu 1500"), std::string::npos) << mtu.output;
  EXPECT_EQ(attached_xdp(t().ns_m, t().dev_ma), "");
}

// CPU seconds (user + system) process `pid` has used so far (/proc/<pid>/stat fields 14, 15).
double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat{std::istreambuf_iterator<char>(f), {}};
  // Fields after the command name's closing parenthesis, starting with field 3 (state).
  std::istringstream rest(stat.substr(stat.rfind(')') + 1));
  const std::vector<std::string> fields{std::istream_iterator<std::string>(rest), {}};
  if (fields.size() < 13) return -1;
  return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Frames `dev` in `ns` transmitted, as its link statistics count them.
long long tx_packets(const std::string& ns, const std::string& dev) {
  const CommandResult r = run_command({"ip", "-n", ns, "-j", "-s", "link", "show", "dev", dev});
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array() || j.empty()) return -1;
  return j[0]["stats64"]["tx"].value("packets", -1LL);
}

// --wait poll really sleeps while frames wait on the TX ring. B's veth hands every frame to a
// token bucket that lets about ten a second through (its ingress redirected to an ifb device
// with a tbf root), so the skbs M's egress socket sent stay alive holding that socket's send
// buffer, and the kernel refuses to take the rest of its TX ring until they are freed. While
// that lasts and nothing arrives, the SCHED_FIFO forwarder must sleep in poll(2): its CPU time
// over 2 s stays below 0.5 s (a forwarder whose wait() returns at once while TX descriptors are
// pending loops for all 2 s: measured 2.01 s). Then the hold is lifted and every frame must
// leave M, each UMEM frame accounted for.
TEST_F(ForwardTest, PollWaitSleepsWhileItsTxRingIsHeldUp) {
  constexpr std::uint64_t n = 3000;
  constexpr double kStretchS = 2.0;
  const std::string hold = "clhold0";  // in B's namespace: it goes with the namespace
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"ip", "-n", t().ns_b, "link", "add", hold, "type", "ifb"},
           {"ip", "-n", t().ns_b, "link", "set", hold, "up"},
           {"tc", "-n", t().ns_b, "qdisc", "add", "dev", hold, "root", "tbf", "rate", "8kbit",
            "burst", "2000", "limit", "10000000"},
           {"tc", "-n", t().ns_b, "qdisc", "add", "dev", t().dev_b, "ingress"},
           {"tc", "-n", t().ns_b, "filter", "add", "dev", t().dev_b, "parent", "ffff:", "protocol",
            "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev",
            hold}}) {
    const CommandResult r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::vector<std::string> fargs = xdp_forwarder_args(XdpMode::kNative);
  fargs.insert(fargs.end(), {"--ring-size", "4096", "--frame-count", "8192", "--wait", "poll",
                             "--no-per-second", "--sched-fifo", kForwarderFifoPriority});
  auto fwd = start_tool(t().ns_m, "xdp_forwarder", fargs);
  ASSERT_TRUE(fwd.process.running()) << fwd.finish().output;

  TopologyConfig via = t();
  via.mac_b = t().mac_ma;
  ToolLaunch tx;
  tx.role = ToolRole::kSender;
  tx.path = af_xdp_path(XdpMode::kAuto);
  tx.count = n;
  tx.size = 64;
  tx.rate_pps = 50'000;
  const LaunchCommand tc = launch_command(via, tx);
  const ToolRun sent = run_tool(tc.ns, tc.tool, tc.args, seconds(60));
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // M has read all n by now

  const long long out_before = tx_packets(t().ns_m, t().dev_mb);
  const double cpu_before = cpu_seconds(fwd.process.pid());
  std::this_thread::sleep_for(std::chrono::duration<double>(kStretchS));
  const double cpu = cpu_seconds(fwd.process.pid()) - cpu_before;
  const long long out_after = tx_packets(t().ns_m, t().dev_mb);
  // The stretch had frames waiting to leave M all along.
  EXPECT_GE(out_before, 0);
  EXPECT_LT(out_after, static_cast<long long>(n) / 2) << "the hold did not hold";
  EXPECT_GE(cpu_before, 0);
  EXPECT_LT(cpu, 0.5) << "CPU seconds of the forwarder over " << kStretchS
                      << " s with its TX ring held up and nothing arriving";

  // Lift the hold: the token bucket's skbs are freed (completions), the rest leaves.
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"tc", "-n", t().ns_b, "qdisc", "del", "dev", t().dev_b, "ingress"},
           {"tc", "-n", t().ns_b, "qdisc", "del", "dev", hold, "root"}}) {
    const CommandResult r = run_command(cmd);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  for (int i = 0; i < 100 && tx_packets(t().ns_m, t().dev_mb) < static_cast<long long>(n); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fwd.process.signal(SIGINT);
  const ToolRun f = fwd.finish(seconds(30));
  EXPECT_EQ(f.exit_code, 128 + SIGINT) << f.output;
  ASSERT_TRUE(f.json.is_object()) << f.output;
  EXPECT_EQ(f.json["sched"]["policy"], "SCHED_FIFO") << f.json["sched"].dump();
  const auto& c = f.json["counters"];
  EXPECT_EQ(c["rx_frames"], n) << c.dump(2);
  EXPECT_EQ(c["forwarded"], n) << c.dump(2);
  EXPECT_EQ(c["tx_completions"], n) << c.dump(2);
  EXPECT_GT(c["tx_kicks_again"].get<std::uint64_t>(), 0U) << c.dump(2);  // the kernel refused
  const auto& fr = c["frames"];
  EXPECT_EQ(fr["invariant"], "holds") << fr.dump();
  EXPECT_EQ(fr["accounted"], fr["total"]) << fr.dump();
  EXPECT_EQ(fr["tx"], 0) << fr.dump();
  EXPECT_EQ(fr["rx"], 0) << fr.dump();
  EXPECT_EQ(tx_packets(t().ns_m, t().dev_mb), static_cast<long long>(n));
}

// SIGINT: exit 130, nothing attached, every frame accounted for. SIGKILL: the program stays on
// M's ingress until the next run reclaims it.
TEST_F(ForwardTest, SignalsLeaveNothingAttached) {
  auto fwd = start_tool(t().ns_m, "xdp_forwarder", xdp_forwarder_args(XdpMode::kNative));
  ASSERT_TRUE(fwd.process.running()) << fwd.finish().output;
  EXPECT_EQ(kernel_xdp_mode(t().ns_m, t().dev_ma), "native");
  fwd.process.signal(SIGINT);
  const ToolRun r = fwd.finish(seconds(30));
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.output;
  EXPECT_EQ(attached_xdp(t().ns_m, t().dev_ma), "");
  ASSERT_TRUE(r.json.is_object()) << r.output;
  EXPECT_EQ(r.json["counters"]["frames"]["accounted"], r.json["counters"]["frames"]["total"]);
  EXPECT_EQ(r.json["counters"]["frames"]["invariant"], "holds");

  auto killed = start_tool(t().ns_m, "xdp_forwarder", xdp_forwarder_args(XdpMode::kNative));
  ASSERT_TRUE(killed.process.running()) << killed.finish().output;
  killed.process.signal(SIGKILL);
  killed.finish(seconds(30));
  EXPECT_NE(attached_xdp(t().ns_m, t().dev_ma), "");  // SIGKILL left it attached
  std::vector<std::string> args = xdp_forwarder_args(XdpMode::kNative);
  args.insert(args.end(), {"--duration", "0.2"});
  const ToolRun next = run_tool(t().ns_m, "xdp_forwarder", args, seconds(60));
  EXPECT_EQ(next.exit_code, 0) << next.output;
  EXPECT_EQ(attached_xdp(t().ns_m, t().dev_ma), "");
}

}  // namespace
}  // namespace copylab::test

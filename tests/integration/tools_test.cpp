// The tools as a user runs them: xdp_sender/xdp_receiver and sock_sender/sock_receiver in every
// pairing, in a private topology, with real XDP programs and real frames; bad input; signals.
//
// Traffic validation is one table (TrafficTable): datapath pair × XDP attach mode × payload size,
// each row one run of a sender and a receiver with the same expectations: every frame arrives
// once, in order and intact, the payload bytes add up to the row's size, and the mode both the
// tool and the kernel report is the one the row asked for. A second table over the same rows
// (AccountingTable) sends 100,000 frames unpaced into a small receiver, where loss depends on
// the scheduler: whatever is lost, every frame is received intact or named by a kernel counter.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include "evidence/kernel_counters.hpp"
#include "harness/compare_runner.hpp"
#include "evidence/loss_accounting.hpp"
#include "evidence/tool_result.hpp"
#include "netns/command.hpp"
#include "netns/topology.hpp"
#include "packet/payload.hpp"
#include "tests/integration/tool_harness.hpp"

using namespace copylab;
using namespace copylab::test;

namespace {

// One end of a pair: the socket API or an AF_XDP socket.
using Path = DatapathKind;
// Where the receiving AF_XDP socket's steering program attaches; kNone: no XDP program at all
// (a socket receiver; an AF_XDP sender is TX-only and attaches nothing).
enum class Mode { kNone, kNative, kGeneric };
enum class Side { kSender, kReceiver };

// IPv4 (20) + UDP (8) header bytes between the device's MTU and the UDP payload.
constexpr std::size_t kIpUdpHeaders = 28;
// veth's default MTU (ETH_DATA_LEN); each row checks it against the devices' real MTU.
constexpr std::size_t kVethMtu = 1500;
constexpr std::size_t kMinPayload = kMinPayloadLen;  // copylab's payload header, nothing more
constexpr std::size_t kTypicalPayload = 64;          // the tools' default --size
constexpr std::size_t kMaxPayload = kVethMtu - kIpUdpHeaders;
// The largest RX ring xdp_receiver accepts; a row sends no more frames than it holds.
constexpr std::uint64_t kMaxRxRing = 16384;

// Everything a tool's command line depends on.
struct End {
  Path path = Path::kSocket;
  Mode mode = Mode::kNone;  // receiver only
  std::size_t size = kTypicalPayload;
  std::uint64_t count = 0;  // 0: until a signal (bounded by --duration on the receiver)
  double rate_pps = 0;      // sender only
  bool per_second = false;  // receiver only: a stats line every second
  // Receiver only: frames it can hold (AF_XDP: RX ring and UMEM frames; socket: receive buffer
  // at 4 KiB per datagram); 0: the whole count.
  std::uint64_t hold = 0;
  // Receiver only: once the harness creates this file (its sender has finished), drain and exit.
  std::string stop_after_file = {};
};

using ToolCommand = LaunchCommand;

// Where a test's End becomes a tool, a namespace and an argv: through pathspec's factory, the
// one place option names are spelled (the JSON output option is added by run_tool/start_tool).
ToolCommand tool_command(const TopologyConfig& t, Side side, const End& e) {
  const bool xdp = e.path == Path::kAfXdp;
  ToolLaunch l;
  l.path = xdp ? af_xdp_path(e.mode == Mode::kGeneric ? XdpMode::kGeneric : XdpMode::kNative)
               : socket_path();
  l.count = e.count;
  l.size = e.size;
  if (side == Side::kSender) {
    l.role = ToolRole::kSender;
    l.rate_pps = e.rate_pps;
  } else {
    l.role = ToolRole::kReceiver;
    // Stops at --count frames (or a signal), bounded by --duration; never on an idle timeout,
    // which a sender descheduled on a busy machine could outlast mid-run.
    l.idle_timeout_s = 0;
    l.duration_s = 60;
    l.per_second = e.per_second;
    // Zero loss must not depend on the scheduler: the receiver can hold every frame of the run
    // even if it gets no CPU until the sender is done (a machine with a load of 20 on 2 CPUs
    // deschedules it for longer than an 8192-frame ring lasts at 200k frames/s). AF_XDP: UMEM
    // frames and RX ring for the whole count (XDP_STATISTICS would show rx_ring_full or
    // rx_fill_ring_empty_descs otherwise); socket: a receive buffer for the whole count at
    // 4 KiB of truesize per datagram (the kernel doubles what is requested). A row that measures
    // the loss accounting instead holds fewer (End::hold).
    const std::uint64_t frames =
        e.hold != 0 ? e.hold
                    : std::min<std::uint64_t>(
                          kMaxRxRing, std::bit_ceil(std::max<std::uint64_t>(e.count, 8192)));
    if (xdp) {
      l.ring_size = static_cast<std::uint32_t>(frames);
      l.frame_count = static_cast<std::uint32_t>(frames);
    } else {
      const std::uint64_t rcvbuf =
          e.hold != 0 ? e.hold * 4096 : std::max<std::uint64_t>(e.count * 4096, 4 << 20);
      l.rcvbuf = static_cast<int>(rcvbuf);
    }
    if (!e.stop_after_file.empty()) {
      l.stop_after_file = e.stop_after_file;
      l.drain_s = 1;
    }
  }
  return launch_command(t, l);
}

// One row of the traffic table.
struct TrafficRow {
  Path tx;
  Path rx;
  Mode mode;
  std::size_t size;
  std::uint64_t count;
  double rate_pps;
  std::uint64_t rx_hold = 0;  // End::hold of the receiver
  End sender() const { return {tx, Mode::kNone, size, count, rate_pps, false}; }
  End receiver() const { return {rx, mode, size, count, 0, false, rx_hold}; }
};

std::string path_name(Path p) { return p == Path::kAfXdp ? "Xdp" : "Sock"; }
std::string mode_name(Mode m) {
  switch (m) {
    case Mode::kNative: return "Native";
    case Mode::kGeneric: return "Generic";
    case Mode::kNone: break;
  }
  return "NoProg";
}
// gtest names such as XdpToXdp_Native_64B.
std::string row_name(const ::testing::TestParamInfo<TrafficRow>& info) {
  const TrafficRow& r = info.param;
  return path_name(r.tx) + "To" + path_name(r.rx) + "_" + mode_name(r.mode) + "_" +
         std::to_string(r.size) + "B";
}
// Readable rows in gtest's failure messages.
void PrintTo(const TrafficRow& r, std::ostream* os) {
  *os << path_name(r.tx) << "->" << path_name(r.rx) << " " << mode_name(r.mode) << " " << r.size
      << "B x" << r.count << " @" << r.rate_pps << "pps";
  if (r.rx_hold != 0) *os << " into " << r.rx_hold;
}

// The pairs and their load: an AF_XDP pair at 200k frames/s, a pair with a socket end (whose
// per-datagram syscalls make it slower) at 40k frames/s; each row sends as many frames as the
// receiver's largest ring holds. Every pair runs each payload size; a pair with an AF_XDP
// receiver runs each attach mode.
std::vector<TrafficRow> traffic_rows() {
  struct PairLoad {
    Path tx, rx;
    std::uint64_t count;
    double rate_pps;
  };
  const PairLoad pairs[] = {{Path::kSocket, Path::kSocket, kMaxRxRing, 40'000},
                            {Path::kAfXdp, Path::kAfXdp, kMaxRxRing, 200'000},
                            {Path::kSocket, Path::kAfXdp, kMaxRxRing, 40'000},
                            // Proof that copylab's headers and checksums are right for the kernel
                            // stack: the receiving kernel validates the IPv4 and UDP checksums of
                            // AF_XDP frames on veth.
                            {Path::kAfXdp, Path::kSocket, kMaxRxRing, 40'000}};
  std::vector<TrafficRow> rows;
  for (const PairLoad& p : pairs) {
    const std::vector<Mode> modes = p.rx == Path::kAfXdp
                                        ? std::vector<Mode>{Mode::kNative, Mode::kGeneric}
                                        : std::vector<Mode>{Mode::kNone};
    for (const Mode m : modes) {
      for (const std::size_t size : {kMinPayload, kTypicalPayload, kMaxPayload}) {
        rows.push_back({p.tx, p.rx, m, size, p.count, p.rate_pps});
      }
    }
  }
  return rows;
}

// Every row of traffic_rows() with an AF_XDP end, at the smallest and the largest payload: 100,000
// frames unpaced into a receiver that holds few of them (an AF_XDP ring of 512, a socket buffer
// for 32). Whether and where frames are lost depends on the scheduler (the receiver's rings, the
// veth queues, the socket buffer); the row asserts the accounting, which holds whatever the loss.
constexpr std::uint64_t kAccountedCount = 100'000;
std::vector<TrafficRow> accounting_rows() {
  std::vector<TrafficRow> rows;
  for (TrafficRow r : traffic_rows()) {
    if ((r.tx != Path::kAfXdp && r.rx != Path::kAfXdp) || r.size == kTypicalPayload) continue;
    r.count = kAccountedCount;
    r.rate_pps = 0;
    r.rx_hold = r.rx == Path::kAfXdp ? 512 : 32;
    rows.push_back(r);
  }
  return rows;
}

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override { topo_.emplace(Topology::create_unique("tools")); }
  void TearDown() override {
    // Whatever a test did, nothing of ours may stay attached to the devices.
    EXPECT_EQ(attached_xdp(t().ns_a, t().dev_a), "");
    EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "");
    topo_.reset();
  }
  const TopologyConfig& t() const { return topo_->config(); }

  BackgroundTool start(Side side, const End& e) {
    const ToolCommand c = tool_command(t(), side, e);
    return start_tool(c.ns, c.tool, c.args);
  }
  ToolRun run(Side side, const End& e, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const ToolCommand c = tool_command(t(), side, e);
    return run_tool(c.ns, c.tool, c.args, timeout);
  }

  std::optional<Topology> topo_;
};

std::string slurp_file(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// `ip -j link` of one device (null when ip fails or finds no such device).
nlohmann::json ip_link(const std::string& ns, const std::string& dev) {
  const auto r = run_command({"ip", "-n", ns, "-j", "-d", "link", "show", "dev", dev});
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  if (!doc.is_array() || doc.empty()) return nullptr;
  return doc[0];
}

// The XDP attach mode the kernel reports for a device, as iproute2 names it from
// IFLA_XDP_ATTACHED (include/uapi/linux/if_link.h: XDP_ATTACHED_DRV = 1, XDP_ATTACHED_SKB = 2).
std::string kernel_xdp_mode(const std::string& ns, const std::string& dev) {
  const nlohmann::json link = ip_link(ns, dev);
  if (link.is_null() || !link.contains("xdp")) return "none";
  switch (link["xdp"].value("mode", 0)) {
    case 1: return "native";
    case 2: return "generic";
    default: return "other: " + link["xdp"].dump();
  }
}

// The names the tools and the kernel report for a row's mode.
std::string reported_mode(Mode m) {
  switch (m) {
    case Mode::kNative: return "native";
    case Mode::kGeneric: return "generic";
    case Mode::kNone: break;
  }
  return "none";
}
std::string reported_datapath(Path p) { return p == Path::kAfXdp ? "af_xdp" : "socket"; }

class TrafficTable : public ToolsTest, public ::testing::WithParamInterface<TrafficRow> {};

TEST_P(TrafficTable, EveryFrameArrivesIntactInTheRequestedMode) {
  const TrafficRow& row = GetParam();
  // The sizes are what the devices really carry: the max row fills the MTU exactly.
  for (const auto& [ns, dev] : {std::pair{t().ns_a, t().dev_a}, std::pair{t().ns_b, t().dev_b}}) {
    const nlohmann::json link = ip_link(ns, dev);
    ASSERT_TRUE(link.is_object()) << dev;
    ASSERT_EQ(link.value("mtu", 0U), kMaxPayload + kIpUdpHeaders) << dev;
  }

  auto rx = start(Side::kReceiver, row.receiver());
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  // The kernel's view while the receiver is ready, not the tool's.
  EXPECT_EQ(kernel_xdp_mode(t().ns_b, t().dev_b), reported_mode(row.mode));
  const ToolRun tx = run(Side::kSender, row.sender());
  const ToolRun done = rx.finish();

  ASSERT_EQ(tx.exit_code, 0) << tx.output;
  ASSERT_EQ(done.exit_code, 0) << done.output;
  ASSERT_TRUE(tx.json.is_object()) << tx.output;
  ASSERT_TRUE(done.json.is_object()) << done.output;
  const std::uint64_t n = row.count;
  EXPECT_EQ(tx.json["result"]["sent"], n);
  const auto& v = done.json["result"]["validator"];
  EXPECT_EQ(v["unique"], n) << done.json["result"].dump(2) << "\n" << done.json["counters"].dump();
  EXPECT_EQ(v["corrupt"], 0);
  EXPECT_EQ(v["duplicates"], 0);
  EXPECT_EQ(v["reordered"], 0);
  EXPECT_EQ(v["highest_seq"], n - 1);
  EXPECT_EQ(v["payload_bytes"], n * row.size) << "frames of another size arrived";

  // Each end ran the datapath the row names, in the mode it asked for.
  EXPECT_EQ(tx.json["datapath"], reported_datapath(row.tx));
  EXPECT_EQ(done.json["datapath"], reported_datapath(row.rx));
  if (row.rx == Path::kAfXdp) {
    EXPECT_EQ(done.json["mode"]["xdp_attach"], reported_mode(row.mode)) << done.json["mode"].dump();
    EXPECT_EQ(done.json["mode"]["bind"], "copy");  // veth has no zero-copy
  }
  if (row.tx == Path::kAfXdp) {
    EXPECT_EQ(tx.json["mode"]["xdp_attach"], "none") << "a TX-only socket attaches nothing";
  }
}

INSTANTIATE_TEST_SUITE_P(Tools, TrafficTable, ::testing::ValuesIn(traffic_rows()), row_name);

class AccountingTable : public TrafficTable {};

// sent = received intact + each drop counter the kernel keeps (explain_loss: the sender's frames
// never completed, veth drops, XSK rx_dropped and rx_ring_full from XDP_STATISTICS, Udp NoPorts and
// InErrors in B), exactly: a frame that vanishes from every counter, or one counted twice, fails
// the row, however many frames were lost.
TEST_P(AccountingTable, EveryFrameReceivedOrNamedByADropCounter) {
  const TrafficRow& row = GetParam();
  End receiver = row.receiver();
  receiver.stop_after_file = temp_path("sender-done");
  const KernelCounters a0 = read_kernel_counters(t().ns_a, t().dev_a);
  const KernelCounters b0 = read_kernel_counters(t().ns_b, t().dev_b);
  auto rx = start(Side::kReceiver, receiver);
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  const ToolRun tx = run(Side::kSender, row.sender());
  // Also when the sender failed: the receiver then drains and exits instead of running on.
  std::ofstream{receiver.stop_after_file}.flush();
  const ToolRun done = rx.finish();
  std::filesystem::remove(receiver.stop_after_file);

  ASSERT_EQ(tx.exit_code, 0) << tx.output;
  ASSERT_EQ(done.exit_code, 0) << done.output;
  ASSERT_TRUE(tx.json.is_object()) << tx.output;
  ASSERT_TRUE(done.json.is_object()) << done.output;
  EXPECT_EQ(tx.json["result"]["sent"], row.count);
  const auto& v = done.json["result"]["validator"];
  EXPECT_EQ(v["unique"], done.json["result"]["received"]);
  EXPECT_EQ(v["corrupt"], 0);
  EXPECT_EQ(v["duplicates"], 0);
  EXPECT_EQ(v["reordered"], 0);
  if (row.rx == Path::kAfXdp) {
    EXPECT_EQ(done.json["mode"]["xdp_attach"], reported_mode(row.mode)) << done.json["mode"].dump();
  }

  RunCounts rec;
  rec.af_xdp_tx = row.tx == Path::kAfXdp;
  rec.af_xdp_rx = row.rx == Path::kAfXdp;
  rec.asked = row.count;
  rec.sender = parse_tool_result(tx.json, "sender");
  rec.receiver = parse_tool_result(done.json, "receiver");
  // A frame the kernel still held when the receiver closed reaches a counter (Udp NoPorts) once
  // the kernel has processed it: the counters are read until they hold every frame, bounded.
  std::optional<LossAccount> loss;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    rec.kernel = {counters_delta(a0, read_kernel_counters(t().ns_a, t().dev_a)),
                  counters_delta(b0, read_kernel_counters(t().ns_b, t().dev_b))};
    loss = explain_loss(rec);
    ASSERT_TRUE(loss.has_value()) << tx.output << "\n" << done.output;
    if (loss->received + loss->explained >= loss->sent ||
        std::chrono::steady_clock::now() >= give_up) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string why = loss->text + "\n" + to_json(*loss).dump(2) + "\nreceiver counters " +
                          done.json["counters"].dump();
  EXPECT_EQ(loss->received + loss->explained, loss->sent) << why;
  EXPECT_EQ(loss->unexplained, 0) << why;
  RecordProperty("accounting", loss->text);
  std::cout << "accounting: " << loss->text << std::endl;
}

INSTANTIATE_TEST_SUITE_P(Tools, AccountingTable, ::testing::ValuesIn(accounting_rows()), row_name);

TEST_F(ToolsTest, SigintAndSigtermDetachAndExit) {
  for (int sig : {SIGINT, SIGTERM}) {
    auto rx = start(Side::kReceiver, {Path::kAfXdp, Mode::kNative, kTypicalPayload, 0, 0, true});
    ASSERT_TRUE(rx.process.running()) << rx.finish().output;
    ASSERT_NE(attached_xdp(t().ns_b, t().dev_b), "");
    // A sender with no count keeps going until the signal.
    auto tx = start(Side::kSender, {Path::kAfXdp, Mode::kNone, kTypicalPayload, 0, 10'000});
    // Signalled once the receiver has reported frames (its first per-second line), not after a
    // fixed sleep a busy machine could use up before the first frame.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (slurp_file(rx.log_path).find("Mbit/s") == std::string::npos &&
           std::chrono::steady_clock::now() < give_up && rx.process.running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    tx.process.signal(sig);
    rx.process.signal(sig);
    const auto tx_done = tx.finish(std::chrono::seconds(10));
    const auto rx_done = rx.finish(std::chrono::seconds(10));
    EXPECT_EQ(tx_done.exit_code, 128 + sig) << tx_done.output;
    EXPECT_EQ(rx_done.exit_code, 128 + sig) << rx_done.output;
    ASSERT_TRUE(rx_done.json.is_object()) << "a stopped receiver still writes its summary";
    EXPECT_GT(rx_done.json["result"]["received"].get<long>(), 0);
    EXPECT_EQ(rx_done.json["result"]["validator"]["corrupt"], 0);
    EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "") << "signal " << sig;
  }
}

struct BadInput {
  const char* name;
  const char* tool;
  bool in_ns_a;
  std::vector<std::string> args;
  const char* expect;  // a fragment of the one-line error
};

void PrintTo(const BadInput& b, std::ostream* os) { *os << b.tool << " " << b.name; }

class ToolsBadInput : public ToolsTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(ToolsBadInput, OneClearLineNonZeroNothingLeft) {
  const auto& p = GetParam();
  std::vector<std::string> args;
  for (const auto& a : p.args) {
    // Placeholders for the topology's names.
    if (a == "@A") args.push_back(t().dev_a);
    else if (a == "@B") args.push_back(t().dev_b);
    else args.push_back(a);
  }
  const auto r = run_tool(p.in_ns_a ? t().ns_a : t().ns_b, p.tool, args, std::chrono::seconds(30));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, -2) << "timed out";
  EXPECT_EQ(r.lines_containing("error:"), 1) << r.output;
  EXPECT_NE(r.last_line().find("error:"), std::string::npos) << r.output;
  EXPECT_NE(r.last_line().find("Fix:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(p.expect), std::string::npos) << "expected '" << p.expect << "' in: "
                                                        << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Tools, ToolsBadInput,
    ::testing::Values(
        BadInput{"UnknownInterface", "xdp_receiver", false, {"--dev", "nosuchdev0"}, "nosuchdev0"},
        BadInput{"UnknownInterfaceSock", "sock_receiver", false, {"--dev", "nosuchdev0"}, "nosuchdev0"},
        BadInput{"QueueMissing", "xdp_receiver", false, {"--dev", "@B", "--queue", "5"}, "queue"},
        BadInput{"BadMac", "xdp_sender", true, {"--dev", "@A", "--dst-mac", "00:11:22:33:44"}, "--dst-mac"},
        BadInput{"BadIp", "sock_sender", true, {"--dev", "@A", "--dst-ip", "10.0.0.300"}, "10.0.0.300"},
        BadInput{"PayloadOverFrame", "xdp_sender", true,
                 {"--dev", "@A", "--frame-size", "2048", "--size", "3000"}, "3000"},
        BadInput{"PayloadOverMtu", "sock_sender", true,
                 {"--dev", "@A", "--dst-ip", "10.0.0.2", "--size", "1473"}, "MTU"},
        BadInput{"RingNotPowerOfTwo", "xdp_receiver", false, {"--dev", "@B", "--ring-size", "1000"}, "power of two"},
        BadInput{"FrameNotPowerOfTwo", "xdp_receiver", false, {"--dev", "@B", "--frame-size", "3000"}, "power of two"},
        BadInput{"ZeroCopyOnVeth", "xdp_receiver", false, {"--dev", "@B", "--zero-copy"}, "zero-copy"},
        BadInput{"PayloadBelowHeader", "sock_sender", true, {"--dev", "@A", "--size", "8"}, "--size"},
        BadInput{"ImpossibleRate", "sock_sender", true, {"--dev", "@A", "--rate", "-5"}, "--rate"},
        BadInput{"CpuMissing", "sock_receiver", false, {"--dev", "@B", "--cpu", "4096"}, "CPU 4096"},
        BadInput{"UnknownOption", "xdp_sender", true, {"--dev", "@A", "--no-such-option"}, "no-such-option"}),
    [](const ::testing::TestParamInfo<BadInput>& row) { return std::string(row.param.name); });

TEST_F(ToolsTest, RefusesToReplaceSomeoneElsesProgram) {
  // Someone else's XDP program on the device: xdp-loader from xdp-tools, not copylab.
  const auto loaded = run_in_netns(
      t().ns_b, {"ip", "link", "set", "dev", t().dev_b, "xdpgeneric", "obj",
                 COPYLAB_TEST_PASS_OBJ, "sec", "xdp"});
  ASSERT_TRUE(loaded.ok()) << loaded.err;
  const std::string before = attached_xdp(t().ns_b, t().dev_b);
  ASSERT_NE(before, "");
  const auto r = run(Side::kReceiver, {Path::kAfXdp, Mode::kGeneric}, std::chrono::seconds(30));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, -2) << "timed out: the receiver ran instead of refusing";
  EXPECT_NE(r.last_line().find("Fix:"), std::string::npos) << r.output;
  EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), before) << "the other program must stay untouched";
  run_in_netns(t().ns_b, {"ip", "link", "set", "dev", t().dev_b, "xdpgeneric", "off"});
}

TEST_F(ToolsTest, NotRootGetsOneLine) {
  std::vector<std::string> argv{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "--inh-caps=-all", bin("xdp_receiver"), "--dev", "lo"};
  const std::string log = temp_path("noroot.log");
  auto p = ChildProcess::start(argv, log);
  const auto rc = p.wait_for(std::chrono::seconds(20));
  ASSERT_TRUE(rc.has_value());
  EXPECT_NE(*rc, 0);
  const std::string last = last_line_of(log);
  EXPECT_NE(last.find("CAP_"), std::string::npos) << last;
  EXPECT_NE(last.find("Fix:"), std::string::npos) << last;
  unlink(log.c_str());
}

}  // namespace

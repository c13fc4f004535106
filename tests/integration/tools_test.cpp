// The tools as a user runs them: xdp_sender/xdp_receiver and sock_sender/sock_receiver in every
// pairing, in a private topology, with real XDP programs and real frames; bad input; signals.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>

#include "netns/command.hpp"
#include "netns/topology.hpp"
#include "tests/integration/tool_harness.hpp"
#include "harness/compare_runner.hpp"
#include "evidence/kernel_counters.hpp"
#include "harness/loss_accounting.hpp"

using namespace copylab;
using namespace copylab::test;

namespace {

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

  // Stops at `count` frames (or a signal), bounded by --duration; never on an idle timeout, which
  // a sender descheduled on a busy machine could outlast mid-run.
  BackgroundTool start_receiver(bool xdp, std::uint64_t count, std::vector<std::string> extra = {},
                                bool per_second = false) {
    std::vector<std::string> args{"--dev", t().dev_b, "--count", std::to_string(count),
                                  "--idle-timeout", "0", "--duration", "60"};
    if (!per_second) args.push_back("--no-per-second");
    args.insert(args.end(), extra.begin(), extra.end());
    return start_tool(t().ns_b, xdp ? "xdp_receiver" : "sock_receiver", args);
  }
  ToolRun send(bool xdp, std::uint64_t count, std::vector<std::string> extra = {}) {
    auto args = xdp ? xdp_sender_args(t()) : sock_sender_args(t());
    args.insert(args.end(), {"--count", std::to_string(count)});
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(t().ns_a, xdp ? "xdp_sender" : "sock_sender", args);
  }

  static std::uint64_t n100k() { return 100'000; }

  struct Accounted {
    ToolRun tx, rx;
    nlohmann::json loss;
  };
  // xdp_sender → xdp_receiver, `n` frames at 200 kpps. The receiver stops at `n` frames or, once
  // the test says the sender has finished (--stop-after-file), after a quiet drain: never on an
  // idle timeout mid-run. Then every frame must be received intact or in a kernel drop counter.
  Accounted run_accounted(std::uint64_t n, std::vector<std::string> rx_extra) {
    const std::string sender_done = temp_path("sender-done");
    rx_extra.insert(rx_extra.end(), {"--ring-size", "8192", "--frame-count", "8192",
                                     "--stop-after-file", sender_done, "--drain", "1"});
    const KernelCounters a0 = read_kernel_counters(t().ns_a, t().dev_a);
    const KernelCounters b0 = read_kernel_counters(t().ns_b, t().dev_b);
    auto rx = start_receiver(true, n, rx_extra);
    Accounted r;
    if (!rx.process.running()) {
      ADD_FAILURE() << rx.finish().output;
      return r;
    }
    EXPECT_NE(attached_xdp(t().ns_b, t().dev_b), "");
    r.tx = send(true, n, {"--rate", "200000"});
    std::ofstream{sender_done}.flush();
    r.rx = rx.finish();
    std::filesystem::remove(sender_done);

    RunRecord rec;
    rec.pair = PairSpec{PathKind::kAfXdp, PathKind::kAfXdp};
    rec.phase = PhaseSpec{"unpaced", n, 200000};
    rec.sender = r.tx.json;
    rec.receiver = r.rx.json;
    rec.kernel = {{"a", counters_delta(a0, read_kernel_counters(t().ns_a, t().dev_a))},
                  {"b", counters_delta(b0, read_kernel_counters(t().ns_b, t().dev_b))}};
    r.loss = explain_loss(rec);

    EXPECT_EQ(r.tx.exit_code, 0) << r.tx.output;
    EXPECT_EQ(r.rx.exit_code, 0) << r.rx.output;
    if (!r.tx.json.is_object() || !r.rx.json.is_object() || !r.loss.is_object()) {
      ADD_FAILURE() << r.tx.output << "\n" << r.rx.output;
      return r;
    }
    EXPECT_EQ(r.tx.json["result"]["sent"], n);
    const auto& v = r.rx.json["result"]["validator"];
    EXPECT_EQ(v["unique"], r.rx.json["result"]["received"]) << r.rx.json.dump(2);
    EXPECT_EQ(v["corrupt"], 0);
    EXPECT_EQ(v["duplicates"], 0);
    EXPECT_EQ(v["reordered"], 0);
    EXPECT_EQ(r.loss["unexplained"], 0) << r.loss["text"] << "\n" << r.loss.dump(2);
    RecordProperty("loss", r.loss["text"].get<std::string>());
    std::cout << "accounting: " << r.loss["text"].get<std::string>() << std::endl;
    return r;
  }

  std::optional<Topology> topo_;
};

std::string slurp_file(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void expect_intact(const ToolRun& tx, const ToolRun& rx, std::uint64_t n) {
  ASSERT_EQ(tx.exit_code, 0) << tx.output;
  ASSERT_EQ(rx.exit_code, 0) << rx.output;
  ASSERT_TRUE(tx.json.is_object()) << tx.output;
  ASSERT_TRUE(rx.json.is_object()) << rx.output;
  EXPECT_EQ(tx.json["result"]["sent"], n);
  const auto& v = rx.json["result"]["validator"];
  EXPECT_EQ(v["unique"], n) << rx.json.dump(2);
  EXPECT_EQ(v["corrupt"], 0);
  EXPECT_EQ(v["duplicates"], 0);
  EXPECT_EQ(v["reordered"], 0);
  EXPECT_EQ(v["highest_seq"], n - 1);
  EXPECT_EQ(rx.json["result"]["lost"], 0);
}

}  // namespace

// 100k frames at 200 kpps into an AF_XDP receiver. Whether every frame reaches the XSK depends
// on the scheduler (a receiver descheduled for longer than its rings last drops frames, in the
// kernel's own counters); what must hold on any machine is that every frame is accounted for:
// sent = received intact + the drops the kernel counted (explain_loss: XSK rx_dropped and
// rx_ring_full from XDP_STATISTICS, veth drops, UDP stack drops). A frame that vanishes from
// every counter, or arrives corrupt, duplicated or out of order, fails the test.
TEST_F(ToolsTest, AfXdpNative100kFramesEveryFrameAccountedFor) {
  const auto r = run_accounted(n100k(), {"--mode", "native"});
  EXPECT_EQ(r.rx.json["mode"]["xdp_attach"], "native") << r.rx.json["mode"].dump();
  EXPECT_EQ(r.rx.json["mode"]["bind"], "copy");
}

TEST_F(ToolsTest, AfXdpGeneric100kFramesEveryFrameAccountedFor) {
  const auto r = run_accounted(n100k(), {"--mode", "generic"});
  EXPECT_EQ(r.rx.json["mode"]["xdp_attach"], "generic") << r.rx.json["mode"].dump();
}

TEST_F(ToolsTest, SocketToSocket) {
  constexpr std::uint64_t n = 20'000;
  auto rx = start_receiver(false, n);
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  const auto tx = send(false, n, {"--rate", "40000"});
  expect_intact(tx, rx.finish(), n);
}

TEST_F(ToolsTest, MixedSocketSenderToAfXdpReceiver) {
  constexpr std::uint64_t n = 20'000;
  // Zero loss must not depend on the scheduler: 8192 frames on the fill/RX rings absorb tens of
  // milliseconds of the receiver being descheduled at this rate (XDP_STATISTICS would show
  // rx_fill_ring_empty_descs otherwise).
  auto rx = start_receiver(true, n, {"--mode", "native", "--ring-size", "8192", "--frame-count", "8192"});
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  const auto tx = send(false, n, {"--rate", "40000"});
  expect_intact(tx, rx.finish(), n);
}

TEST_F(ToolsTest, MixedAfXdpSenderToSocketReceiver) {
  // Proof that copylab's headers and checksums are right for the kernel stack: the receiving
  // kernel validates the IPv4 and UDP checksums of AF_XDP frames on veth.
  constexpr std::uint64_t n = 20'000;
  auto rx = start_receiver(false, n);
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  const auto tx = send(true, n, {"--rate", "40000"});
  expect_intact(tx, rx.finish(), n);
}

TEST_F(ToolsTest, SigintAndSigtermDetachAndExit) {
  for (int sig : {SIGINT, SIGTERM}) {
    auto rx = start_receiver(true, 0, {"--mode", "native"}, /*per_second=*/true);
    ASSERT_TRUE(rx.process.running()) << rx.finish().output;
    ASSERT_NE(attached_xdp(t().ns_b, t().dev_b), "");
    // A sender with no count keeps going until the signal.
    auto tx = start_tool(t().ns_a, "xdp_sender", [&] {
      auto a = xdp_sender_args(t());
      a.insert(a.end(), {"--count", "0", "--rate", "10000"});
      return a;
    }());
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
  const auto r = run_tool(t().ns_b, "xdp_receiver", {"--dev", t().dev_b, "--mode", "generic"});
  EXPECT_NE(r.exit_code, 0) << r.output;
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

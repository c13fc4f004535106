// `copylab compare` end to end: its own namespaces, all four pairs, the cross-check attached.
// The JSON must hold both paths with consistent numbers, the kernel counters must agree with the
// tools' counts, and the copy ledger must show COPY #1/#4 exactly once per datagram on the
// socket side and never on the AF_XDP side — measured on this run, not canned.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "netns/command.hpp"
#include "netns/topology.hpp"
#include "packet/addr.hpp"
#include "tests/integration/tool_harness.hpp"

using namespace copylab;
using namespace copylab::test;

namespace {

long long ledger_count(const nlohmann::json& run, const std::string& id) {
  for (const auto& l : run.at("/copy_evidence/ledger/lines"_json_pointer)) {
    if (l.at("id") == id) return l.at("count").get<long long>();
  }
  ADD_FAILURE() << "no ledger line " << id;
  return -1;
}

std::string netns_list() { return run_command({"ip", "netns", "list"}).out; }

// The pairs --all-pairs runs: four, and the three DPDK pairs where the DPDK tools are built.
constexpr std::size_t kAllPairsCount = COPYLAB_TEST_HAVE_DPDK ? 7U : 4U;

// Every key path in `j`, array elements as "[]": runs[].sender.result.pps.
void key_paths(const nlohmann::json& j, const std::string& prefix, std::set<std::string>& out) {
  if (j.is_array()) {
    for (const auto& e : j) key_paths(e, prefix + "[]", out);
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      const std::string path = prefix.empty() ? k : prefix + "." + k;
      out.insert(path);
      key_paths(v, path, out);
    }
  }
}

// `copylab compare ARGS --json FILE`, bounded by `timeout`; the document is in ToolRun::json.
ToolRun run_compare(std::vector<std::string> args, std::chrono::seconds timeout) {
  args.insert(args.begin(), "compare");
  return run_tool("", "copylab", std::move(args), timeout);
}

// Every check of a run that could be made (ok not null) held.
void expect_checks_hold(const nlohmann::json& run) {
  for (const auto& c : run.at("checks")) {
    if (!c.at("ok").is_null()) {
      EXPECT_TRUE(c.at("ok").get<bool>()) << c.dump();
    }
  }
}

// The key paths report/COMPARE_JSON.md documents (first cell of its table rows, `path`), as
// regexes: <side> is sender or receiver, <ns> a or b, * any one key.
std::vector<std::pair<std::string, std::regex>> documented_paths() {
  std::ifstream f(std::string(COPYLAB_SOURCE_DIR) + "/report/COMPARE_JSON.md");
  EXPECT_TRUE(f.good()) << "report/COMPARE_JSON.md is missing";
  std::vector<std::pair<std::string, std::regex>> out;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto end = line.find('`', 3);
    const std::string doc = line.substr(3, end - 3);
    std::string re;
    for (std::size_t i = 0; i < doc.size(); ++i) {
      if (doc.compare(i, 6, "<side>") == 0) {
        re += "(sender|receiver)";
        i += 5;
      } else if (doc.compare(i, 4, "<ns>") == 0) {
        re += "(a|b)";
        i += 3;
      } else if (doc[i] == '*') {
        re += "[^.\\[]+";
      } else if (std::string(".[]()").find(doc[i]) != std::string::npos) {
        re += std::string("\\") + doc[i];
      } else {
        re += doc[i];
      }
    }
    out.emplace_back(doc, std::regex(re));
  }
  return out;
}


}  // namespace

TEST(CompareTest, AllPairsEndToEndWithCrossCheck) {
  const ToolRun compare = run_compare({"--count", "5000", "--rate", "20000", "--unpaced-count",
                                        "30000", "--all-pairs"},
                                       std::chrono::seconds(COPYLAB_TEST_HAVE_DPDK ? 380 : 240));
  ASSERT_NE(compare.exit_code, -2) << "compare did not finish";
  const std::string& out = compare.output;
  ASSERT_TRUE(compare.json.is_object()) << out;
  const auto& doc = compare.json;
  // Every check against the kernel's counters holds (exit code 4 would mean one differed).
  EXPECT_EQ(compare.exit_code, 0) << out;
  // Other processes on the machine may add or remove namespaces meanwhile: look for this
  // compare's own ("cl-cmp-<its pid>-...").
  EXPECT_EQ(netns_list().find("cl-cmp-" + std::to_string(compare.pid) + "-"), std::string::npos)
      << "compare must remove the namespaces it made";
  EXPECT_TRUE(doc.at("cross_check").at("attached").get<bool>()) << doc["cross_check"].dump();

  const auto& runs = doc.at("runs");
  // 4 pairs (7 with the DPDK pairs) x (paced, unpaced)
  ASSERT_EQ(runs.size(), COPYLAB_TEST_HAVE_DPDK ? 14U : 8U);
  std::set<std::string> pairs;
  for (const auto& r : runs) {
    SCOPED_TRACE(r.at("pair").get<std::string>() + " " + r.at("phase").get<std::string>());
    pairs.insert(r.at("pair").get<std::string>());
    const auto sent = r.at("/sender/result/sent"_json_pointer).get<long long>();
    const auto received = r.at("/receiver/result/received"_json_pointer).get<long long>();
    EXPECT_EQ(sent, r.at("count").get<long long>());
    EXPECT_GT(received, 0);
    expect_checks_hold(r);
    const bool tx_sock = r.at("tx_path") == "socket";
    const bool rx_sock = r.at("rx_path") == "socket";
    const auto copy1 = ledger_count(r, "copy1_user_to_kernel");
    const auto copy4 = ledger_count(r, "copy4_kernel_to_user");
    EXPECT_EQ(copy1, tx_sock ? sent : 0);
    EXPECT_EQ(copy4, rx_sock ? received : 0);
    const auto& b = r.at("/kernel_counters/b/udp"_json_pointer);
    if (rx_sock) {
      EXPECT_EQ(copy4, b.at("InDatagrams").get<long long>());
    }
    if (tx_sock) {
      EXPECT_EQ(copy1, r.at("/kernel_counters/a/udp/OutDatagrams"_json_pointer).get<long long>());
    }
    // Syscalls are counted where they are the number to read (unpaced: batching); paced runs
    // leave the sys_enter event off the packet's path and say so.
    const auto& sys = r.at("/copy_evidence/syscalls/sender"_json_pointer);
    if (r.at("phase") == "unpaced") {
      EXPECT_GT(sys.at("total").get<long long>(), 0);
    } else {
      EXPECT_TRUE(sys.at("total").is_null()) << sys.dump();
      EXPECT_NE(sys.at("not_counted").get<std::string>(), "") << sys.dump();
    }
    // The same run without the cross-check went first: its cost is stated, per phase.
    const auto& cost = r.at("cross_check_overhead");
    ASSERT_TRUE(cost.is_object()) << cost.dump();
    EXPECT_GT(cost.at(r.at("phase") == "unpaced" ? "pps_ratio" : "one_way_p50_ratio").get<double>(),
              0.0)
        << cost.dump();
  }
  std::set<std::string> expected{"socket->socket", "af_xdp->af_xdp", "socket->af_xdp",
                                 "af_xdp->socket"};
  if (COPYLAB_TEST_HAVE_DPDK) expected.insert({"dpdk->dpdk", "af_xdp->dpdk", "dpdk->af_xdp"});
  EXPECT_EQ(pairs, expected);
  // The verdict table says "moved", with the kernel sites.
  const std::string verdicts = doc.at("/copies/text"_json_pointer).get<std::string>();
  EXPECT_NE(verdicts.find("moved to"), std::string::npos) << verdicts;
  EXPECT_NE(verdicts.find("__xsk_rcv"), std::string::npos) << verdicts;
  EXPECT_NE(out.find("socket->socket"), std::string::npos);
}

// Default `copylab compare` (short counts): no output line over 120 columns, and the JSON is the
// documented one: schema copylab.compare/1, ASCII pair ids, every key in report/COMPARE_JSON.md.
TEST(CompareTest, DefaultReportFitsAndJsonIsTheDocumentedOne) {
  const std::string json_path = temp_path("compare-default.json");
  const auto r = run_tool("", "copylab",
                          {"compare", "--count", "2000", "--rate", "20000", "--unpaced-count",
                           "5000", "--json", json_path},
                          std::chrono::seconds(240), /*json_file=*/false);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  int n = 0, over_100 = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    const auto width = std::count_if(line.begin(), line.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // UTF-8: one column per code point
    });
    EXPECT_LE(width, 120) << "line " << n << " is " << width << " columns: " << line;
    over_100 += width > 100 ? 1 : 0;
  }
  EXPECT_GT(n, 40) << "the report was not printed: " << r.output;
  EXPECT_EQ(over_100, 0) << r.output;

  std::ifstream f(json_path);
  ASSERT_TRUE(f.good()) << r.output;
  const auto doc = nlohmann::json::parse(f);
  unlink(json_path.c_str());
  EXPECT_EQ(doc.value("schema", ""), "copylab.compare/1");
  for (const auto& run : doc.at("runs")) {
    const std::string pair = run.at("pair").get<std::string>();
    EXPECT_TRUE(std::all_of(pair.begin(), pair.end(), [](char c) { return c > 0 && c < 127; }))
        << pair;
    for (const char* side : {"sender", "receiver"}) {
      const auto& by_name = run.at("copy_evidence").at("syscalls").at(side).at("by_name");
      for (const auto& call : by_name.items()) {
        EXPECT_EQ(call.key().rfind("syscall_", 0), std::string::npos) << "unresolved: " << call.key();
      }
    }
  }
  std::set<std::string> emitted;
  key_paths(doc, "", emitted);
  const auto documented = documented_paths();
  ASSERT_GT(documented.size(), 50U);
  for (const std::string& path : emitted) {
    const bool found = std::any_of(documented.begin(), documented.end(), [&](const auto& d) {
      return std::regex_match(path, d.second);
    });
    EXPECT_TRUE(found) << "key not in report/COMPARE_JSON.md: " << path;
  }
}

// The DPDK pair: where the DPDK tools are built it runs on the same devices and traffic, with
// its kernel copy rows and the PMD's own mbuf<->UMEM copies counted per mbuf; where they are
// not, compare says so in one line and runs the other pairs (exit 0).
TEST(CompareTest, DpdkPairRunsWhereBuiltElseOneLine) {
  const ToolRun r = run_compare({"--count", "2000", "--rate", "20000", "--no-unpaced",
                                 "--no-calibration"},
                                std::chrono::seconds(240));
  ASSERT_NE(r.exit_code, -2) << "compare did not finish";
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(r.json.is_object()) << r.output;
  const auto& doc = r.json;
  const auto& dpdk = doc.at("dpdk");
  std::vector<const nlohmann::json*> dpdk_runs;
  for (const auto& run : doc.at("runs")) {
    if (run.at("pair") == "dpdk->dpdk") dpdk_runs.push_back(&run);
  }
  if (!COPYLAB_TEST_HAVE_DPDK) {
    EXPECT_FALSE(dpdk.at("ran").get<bool>());
    EXPECT_NE(dpdk.at("reason").get<std::string>().find("not built"), std::string::npos)
        << dpdk.dump();
    EXPECT_TRUE(dpdk_runs.empty());
    EXPECT_EQ(r.lines_containing("no DPDK pair"), 1) << r.output;
    EXPECT_EQ(doc.at("runs").size(), 2U) << "the other pairs still run";
    return;
  }
  ASSERT_TRUE(dpdk.at("ran").get<bool>()) << dpdk.dump();
  ASSERT_EQ(dpdk_runs.size(), 1U);
  const auto& run = *dpdk_runs.front();
  EXPECT_EQ(run.at("/sender/datapath"_json_pointer), "dpdk");
  EXPECT_EQ(run.at("/receiver/datapath"_json_pointer), "dpdk");
  const auto sent = run.at("/sender/result/sent"_json_pointer).get<long long>();
  const auto received = run.at("/receiver/result/received"_json_pointer).get<long long>();
  EXPECT_EQ(sent, 2000);
  EXPECT_EQ(received, 2000) << "paced at 20k/s nothing is lost";
  expect_checks_hold(run);
  // The PMD's copies, per mbuf: every received frame at the kernel's offset in a UMEM chunk, none
  // at RTE_PKTMBUF_HEADROOM; every sent mbuf from the PMD's UMEM pool.
  const auto& rx = run.at("/receiver/counters/pmd_umem"_json_pointer);
  const auto& tx = run.at("/sender/counters/pmd_umem"_json_pointer);
  EXPECT_EQ(rx.at("rx_default_offset").get<long long>(), 0) << rx.dump();
  EXPECT_GE(rx.at("rx_kernel_offset").get<long long>(), received) << rx.dump();
  EXPECT_NE(rx.at("rx_last_data_off"), rx.at("default_headroom")) << rx.dump();
  EXPECT_EQ(tx.at("tx_umem_pool").get<long long>(), sent) << tx.dump();
  EXPECT_EQ(tx.at("tx_other_pool").get<long long>(), 0) << tx.dump();
  ASSERT_EQ(dpdk.at("pmd_copies").size(), 1U) << dpdk.dump();
  EXPECT_NE(r.output.find("DPDK PMD copies between mbufs and UMEM frames"), std::string::npos);
  // The kernel's side of the PMD's XSK, where a cross-check is attached: one xdp_buff -> UMEM
  // copy per frame (copy mode on veth), no user copies.
  if (doc.at("/cross_check/attached"_json_pointer).get<bool>()) {
    const auto& rows = doc.at("/copies/dpdk/rows"_json_pointer);
    ASSERT_FALSE(rows.empty()) << doc.at("copies").dump();
    for (const auto& row : rows) {
      const auto& per = row.at("/af_xdp/copies_per_packet"_json_pointer);
      if (row.at("id") == "xsk_rx_copy") {
        EXPECT_EQ(per.get<double>(), 1.0) << row.dump();
      }
      if (row.at("id") == "copy4") {
        EXPECT_EQ(per.get<double>(), 0.0) << row.dump();
      }
    }
  }
}

TEST(CompareTest, MissingNamespaceIsOneLineAndLeavesNothing) {
  const std::string before = netns_list();
  const auto r = run_tool("", "copylab", {"compare", "--netns", "no-such-ns-a,no-such-ns-b",
                                          "--dev", "x,y"},
                        std::chrono::seconds(30), /*json_file=*/false);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.last_line().find("no-such-ns-a"), std::string::npos) << r.output;
  EXPECT_NE(r.last_line().find("Fix:"), std::string::npos) << r.output;
  EXPECT_EQ(netns_list(), before);
}

// Namespaces made by someone else, with addresses that are not setup.sh's defaults: compare must
// read them back from the devices (MACs for AF_XDP frames, the IP the socket receiver binds) and
// leave the namespaces in place.
TEST(CompareTest, ReusedNamespacesWithNonDefaultAddresses) {
  const TopologyConfig cfg = non_default_topology_config("cmpnd", 214);
  Topology topo = Topology::create(cfg);
  const auto r = run_compare({"--netns", cfg.ns_a + "," + cfg.ns_b, "--dev",
                              cfg.dev_a + "," + cfg.dev_b, "--count", "2000", "--rate", "20000",
                              "--no-unpaced", "--all-pairs", "--backend", "none"},
                             std::chrono::seconds(180));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(r.json.is_object()) << r.output;
  const auto& doc = r.json;
  ASSERT_EQ(doc.at("runs").size(), kAllPairsCount);
  for (const auto& run : doc.at("runs")) {
    SCOPED_TRACE(run.at("pair").get<std::string>());
    EXPECT_EQ(run.at("/sender/result/sent"_json_pointer).get<long long>(), 2000);
    EXPECT_EQ(run.at("/receiver/result/received"_json_pointer).get<long long>(), 2000);
  }
  const std::string left = netns_list();
  EXPECT_NE(left.find(cfg.ns_a), std::string::npos) << "compare removed namespaces it did not make";
  EXPECT_NE(left.find(cfg.ns_b), std::string::npos);
}

// A paced sender whose frames come 2 s apart (0.5 frames/s): every gap is longer than the idle
// timeout a receiver used to stop on, so a receiver that ends on a gap while its sender still runs
// loses frames and fails this. Every frame of every pair must arrive and every check agree.
TEST(CompareTest, SlowSenderWithLongGapsLosesNothing) {
  const auto r = run_compare({"--count", "4", "--rate", "0.5", "--no-unpaced", "--all-pairs",
                              "--backend", "none"},
                             std::chrono::seconds(240));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(r.json.is_object()) << r.output;
  const auto& doc = r.json;
  ASSERT_EQ(doc.at("runs").size(), kAllPairsCount);
  for (const auto& run : doc.at("runs")) {
    SCOPED_TRACE(run.at("pair").get<std::string>());
    EXPECT_EQ(run.at("/sender/result/sent"_json_pointer).get<long long>(), 4);
    EXPECT_EQ(run.at("/receiver/result/received"_json_pointer).get<long long>(), 4)
        << run.at("receiver").at("result").dump();
    EXPECT_EQ(run.at("/receiver/result/stopped_by"_json_pointer), "count");
    // The gaps were real: 3 gaps of 2 s between the first and the last frame.
    EXPECT_GE(run.at("/receiver/result/active_s"_json_pointer).get<double>(), 5.5);
    EXPECT_FALSE(run.at("/pacing/missed"_json_pointer).get<bool>()) << run.at("pacing").dump();
    expect_checks_hold(run);
  }
  EXPECT_EQ(r.output.find("check failed"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("checks failed"), std::string::npos) << r.output;
}

namespace {

// A receiver run as `copylab compare` runs it: told by a file when its sender has finished.
class ReceiverDrainTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { topo_.emplace(Topology::create_unique("drain")); }
  void TearDown() override {
    unlink(done_.c_str());
    topo_.reset();
  }
  const TopologyConfig& t() const { return topo_->config(); }
  bool xdp() const { return GetParam(); }

  // The receiver's launch (pathspec's factory): AF_XDP in the tool's default XDP mode, or a
  // socket; the test sets its idle timeout or drain on it.
  ToolLaunch receiver(std::uint64_t count) const {
    ToolLaunch l;
    l.path = xdp() ? af_xdp_path(XdpMode::kAuto) : socket_path();
    l.role = ToolRole::kReceiver;
    l.count = count;
    l.stop_after_file = done_;
    l.duration_s = 120;
    l.per_second = false;
    return l;
  }
  BackgroundTool start_receiver(const ToolLaunch& launch) {
    const LaunchCommand c = launch_command(t(), launch);
    return start_tool(c.ns, c.tool, c.args);
  }
  ToolRun send(std::uint64_t count, double rate_pps) {
    ToolLaunch l;
    l.path = socket_path();
    l.count = count;
    l.rate_pps = rate_pps;
    const LaunchCommand c = launch_command(t(), l);
    return run_tool(c.ns, c.tool, c.args);
  }
  void sender_done() { std::ofstream(done_) << "done\n"; }

  std::string done_ = temp_path("sender.done");
  std::optional<Topology> topo_;
};

}  // namespace

// Gaps of 0.5 s against an idle timeout of 0.2 s: while the sender has not finished (no stop
// file) the idle timeout must not end the receiver.
TEST_P(ReceiverDrainTest, IdleTimeoutDoesNotEndTheReceiverWhileTheSenderRuns) {
  ToolLaunch l = receiver(5);
  l.idle_timeout_s = 0.2;
  auto rx = start_receiver(l);
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  const auto tx = send(5, 2);
  ASSERT_EQ(tx.exit_code, 0) << tx.output;
  sender_done();
  const auto done = rx.finish(std::chrono::seconds(60));
  ASSERT_EQ(done.exit_code, 0) << done.output;
  EXPECT_EQ(done.json.at("/result/received"_json_pointer), 5) << done.output;
  EXPECT_EQ(done.json.at("/result/stopped_by"_json_pointer), "count");
}

// Fewer frames than --count: after the stop file the receiver drains for its quiet period and
// exits with what came, the shortfall counted as lost.
TEST_P(ReceiverDrainTest, DrainsAndExitsOnceTheSenderHasFinished) {
  ToolLaunch l = receiver(10);
  l.drain_s = 0.3;
  auto rx = start_receiver(l);
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  const auto tx = send(6, 1000);
  ASSERT_EQ(tx.exit_code, 0) << tx.output;
  // Without the stop file a receiver short of --count keeps waiting (here: up to --duration).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(rx.process.running()) << "the receiver stopped before its sender was done";
  sender_done();
  const auto done = rx.finish(std::chrono::seconds(30));
  ASSERT_EQ(done.exit_code, 0) << done.output;
  EXPECT_EQ(done.json.at("/result/received"_json_pointer), 6) << done.output;
  EXPECT_EQ(done.json.at("/result/lost"_json_pointer), 4);
  EXPECT_EQ(done.json.at("/result/stopped_by"_json_pointer), "drain");
  EXPECT_GE(done.json.at("/result/drained_s"_json_pointer).get<double>(), 0.3);
}

INSTANTIATE_TEST_SUITE_P(Receivers, ReceiverDrainTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return std::string(param.param ? "xdp_receiver" : "sock_receiver");
                         });

// `copylab forward` run as a user runs it: the relay and the shared-UMEM forwarder (native and
// generic) in a middle box it makes for the run. The copy ledger in M must show COPY #4 and
// COPY #1 once per datagram for the relay and never for the forwarder, each equal to M's own
// counters (UDP MIB, egress link stats, the forwarder's XSK counters). Bad input is one line with
// a fix, before any namespace exists.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "netns/command.hpp"
#include "tests/integration/tool_harness.hpp"

namespace copylab::test {
namespace {

// Whether a namespace copylab process `pid` made for a forward run still exists (its names are
// cl-fwd-<pid>-<n>{a,m,b}: other processes' namespaces never match).
bool left_namespaces(pid_t pid) {
  return run_command({"ip", "netns", "list"}).out.find("cl-fwd-" + std::to_string(pid) + "-") !=
         std::string::npos;
}

const nlohmann::json* run_of(const nlohmann::json& doc, const std::string& fwd,
                            const std::string& phase) {
  for (const auto& r : doc.at("runs")) {
    if (r.at("forwarder") == fwd && r.at("run").at("phase") == phase) return &r;
  }
  return nullptr;
}

long long udp(const nlohmann::json& run, const char* name) {
  return run.at("kernel_counters_m").at("ingress").at("udp").at(name).get<long long>();
}

TEST(ForwardCommandTest, LedgerInMMatchesItsCounters) {
  constexpr long long kCount = 20'000;
  const ToolRun r = run_tool("", "copylab",
                             {"forward", "--count", std::to_string(kCount), "--rate", "20000",
                              "--unpaced-count", "50000", "--backend", "bpf"},
                             std::chrono::seconds(300));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(r.json.is_object()) << r.output;
  const auto& doc = r.json;
  EXPECT_EQ(doc.at("schema"), "copylab.forward/1");
  EXPECT_EQ(doc.at("cross_check").at("attached"), true) << doc.at("cross_check").dump();
  EXPECT_EQ(doc.at("checks_failed"), 0);
  for (const auto& [fwd, phase] :
       {std::pair{"relay", "paced"}, std::pair{"xsk_native", "paced"},
        std::pair{"xsk_generic", "paced"}, std::pair{"relay", "unpaced"},
        std::pair{"xsk_native", "unpaced"}, std::pair{"xsk_generic", "unpaced"}}) {
    SCOPED_TRACE(std::string(fwd) + " " + phase);
    const nlohmann::json* run = run_of(doc, fwd, phase);
    const bool paced = std::string(phase) == "paced";
    ASSERT_NE(run, nullptr) << doc.dump(2);
    const long long forwarded = run->at("forwarded").get<long long>();
    const auto& ledger = run->at("ledger_m");
    const auto& egress = run->at("kernel_counters_m").at("egress").at("link");
    const long long sent = run->at("run").at("sender").at("result").at("sent").get<long long>();
    EXPECT_EQ(sent, paced ? kCount : 50'000);
    // Paced well below every forwarder's rate: everything A sent crossed M. Unpaced, A may
    // outrun M: what M dropped is checked against M's own drop counters (checks_m).
    if (paced) {
      EXPECT_EQ(forwarded, kCount) << run->at("forwarder_tool").dump(2);
    }
    EXPECT_GT(forwarded, 0);
    EXPECT_EQ(egress.at("tx_packets").get<long long>(), forwarded);
    if (std::string(fwd) == "relay") {
      EXPECT_EQ(ledger.at("copy4_kernel_to_user"), forwarded);
      EXPECT_EQ(ledger.at("copy1_user_to_kernel"), forwarded);
      EXPECT_EQ(udp(*run, "InDatagrams"), forwarded);
      EXPECT_EQ(udp(*run, "OutDatagrams"), forwarded);
      EXPECT_TRUE(run->at("moved_kernel_copies").empty());
    } else {
      EXPECT_EQ(ledger.at("copy4_kernel_to_user"), 0);
      EXPECT_EQ(ledger.at("copy1_user_to_kernel"), 0);
      EXPECT_EQ(udp(*run, "InDatagrams"), 0);
      EXPECT_EQ(udp(*run, "OutDatagrams"), 0);
      EXPECT_EQ(ledger.at("xdp_redirect_xskmap"), forwarded);
      const auto& tool = run->at("forwarder_tool");
      EXPECT_EQ(tool.at("counters").at("tx_completions"), forwarded);
      EXPECT_EQ(tool.at("mode").at("xdp_attach"), fwd == std::string("xsk_native") ? "native" : "generic");
      // Copy mode on veth: both kernel copies named, one per frame.
      ASSERT_EQ(run->at("moved_kernel_copies").size(), 2U) << run->at("moved_kernel_copies").dump();
      for (const auto& m : run->at("moved_kernel_copies")) EXPECT_EQ(m.at("count"), forwarded);
    }
    for (const auto& c : run->at("checks_m")) {
      EXPECT_EQ(c.at("ok"), true) << c.dump();
    }
    EXPECT_GE(run->at("checks_m").size(), 7U);
    EXPECT_GT(run->at("forwarded_pps").get<double>(), 0);
    EXPECT_FALSE(run->at("cpu_ns_per_packet").is_null());
    EXPECT_FALSE(run->at("one_way_p50_us").is_null());
  }
  EXPECT_FALSE(left_namespaces(r.pid));  // the run's three namespaces are gone
}

// --sched-fifo reaches both forwarders in M: each run's forwarder reads its policy back from the
// kernel (its own JSON's "sched"), and the forward JSON reports it as runs[].sched_m; B's
// receiver in the paced run reads back the same policy (runs[].sched_b). A row per policy:
// the default (SCHED_FIFO 10), another priority, and 0 for SCHED_OTHER.
struct SchedRow {
  const char* name;
  std::vector<std::string> args;
  const char* policy;
  int priority;
  int b_priority;  // B's receiver in the paced run: M's priority (0: SCHED_OTHER)
};

TEST(ForwardCommandTest, SchedFifoReachesBothForwardersInM) {
  constexpr long long kCount = 5'000;
  const SchedRow rows[] = {{"default", {}, "SCHED_FIFO", 10, 10},
                           {"priority 7", {"--sched-fifo", "7"}, "SCHED_FIFO", 7, 7},
                           {"0", {"--sched-fifo", "0"}, "SCHED_OTHER", 0, 0}};
  for (const SchedRow& row : rows) {
    SCOPED_TRACE(row.name);
    std::vector<std::string> args{"forward", "--forwarders", "relay,xsk_native", "--count",
                                  std::to_string(kCount), "--rate", "20000", "--no-unpaced",
                                  "--backend", "none", "--ring-size", "1024", "--frame-count",
                                  "2048"};
    args.insert(args.end(), row.args.begin(), row.args.end());
    const ToolRun r = run_tool("", "copylab", args, std::chrono::seconds(180));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_TRUE(r.json.is_object()) << r.output;
    ASSERT_EQ(r.json.at("runs").size(), 2U) << r.json.dump(2);
    for (const auto& run : r.json.at("runs")) {
      SCOPED_TRACE(run.at("forwarder").get<std::string>());
      const auto& tool = run.at("forwarder_tool");
      EXPECT_EQ(run.at("sched_m"), tool.at("sched"));
      EXPECT_EQ(run.at("sched_m").at("policy"), row.policy) << run.at("sched_m").dump();
      EXPECT_EQ(run.at("sched_m").at("priority"), row.priority) << run.at("sched_m").dump();
      // B's receiver read its own policy back; the forward JSON carries it as sched_b.
      EXPECT_EQ(run.at("sched_b"), run.at("run").at("receiver").at("sched"));
      EXPECT_EQ(run.at("sched_b").at("policy"), row.b_priority != 0 ? "SCHED_FIFO" : "SCHED_OTHER");
      EXPECT_EQ(run.at("sched_b").at("priority"), row.b_priority) << run.at("sched_b").dump();
      EXPECT_EQ(run.at("forwarded"), kCount) << tool.dump(2);
    }
    // The text report's row, one cell per forwarder.
    const std::string cell = row.priority != 0
                                 ? std::string(row.policy) + " " + std::to_string(row.priority)
                                 : std::string(row.policy);
    const auto line = r.output.find("M's policy (kernel)");
    ASSERT_NE(line, std::string::npos) << r.output;
    const std::string text = r.output.substr(line, r.output.find('\n', line) - line);
    ASSERT_NE(text.find(cell), std::string::npos) << text;
    EXPECT_NE(text.find(cell), text.rfind(cell)) << text;  // both columns
    EXPECT_FALSE(left_namespaces(r.pid));
  }
}

// --latency: every ping from A crosses M to B and its echo crosses M back, for each forwarder
// (a row each, own topology): none lost or corrupted, M forwarded exactly two frames per ping
// (warm-up included) split evenly between its two directions, the AF_XDP forwarder's UMEM frames
// all accounted for at its exit, and the RTT percentiles in the JSON.
TEST(ForwardCommandTest, LatencyPingsCrossMBothWays) {
  constexpr long long kPings = 2'000;
  for (const char* fwd : {"relay", "xsk_native", "xsk_generic"}) {
    SCOPED_TRACE(fwd);
    const ToolRun r = run_tool("", "copylab",
                               {"forward", "--latency", "--forwarders", fwd, "--count",
                                std::to_string(kPings), "--warmup", "200", "--reps", "2",
                                "--ring-size", "256", "--frame-count", "1024"},
                               std::chrono::seconds(180));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_TRUE(r.json.is_object()) << r.output;
    const auto& doc = r.json;
    EXPECT_EQ(doc.at("schema"), "copylab.forward/1");
    EXPECT_EQ(doc.at("mode"), "latency");
    EXPECT_EQ(doc.at("checks_failed"), 0);
    const auto& results = doc.at("latency").at("results");
    ASSERT_EQ(results.size(), 1U) << doc.dump(2);
    const auto& res = results.at(0);
    EXPECT_EQ(res.at("forwarder"), fwd);
    EXPECT_EQ(res.at("ends"), "sock-block");
    const auto& packets = res.at("packets");
    EXPECT_EQ(packets.at("sent"), 2 * kPings);
    EXPECT_EQ(packets.at("replies"), 2 * kPings);
    EXPECT_EQ(packets.at("lost"), 0);
    EXPECT_EQ(packets.at("corrupt"), 0);
    EXPECT_EQ(packets.at("pong_corrupt"), 0);
    const long long pings = res.at("pings_sent_with_warmup").get<long long>();
    EXPECT_GE(pings, 2 * (kPings + 200));
    EXPECT_EQ(res.at("forwarded_both_ways").get<long long>(), 2 * pings);
    for (const char* key : {"p50_us", "p90_us", "p99_us", "max_us"}) {
      SCOPED_TRACE(key);
      const auto& v = res.at("rtt").at(key);
      ASSERT_TRUE(v.is_object()) << res.at("rtt").dump();
      EXPECT_GT(v.at("median").get<double>(), 0);
    }
    EXPECT_LE(res.at("rtt").at("p50_us").at("median").get<double>(),
              res.at("rtt").at("p99_us").at("median").get<double>());
    EXPECT_TRUE(res.at("one_way").at("p50_us").is_object()) << res.at("one_way").dump();
    for (const auto& c : res.at("checks")) EXPECT_EQ(c.at("ok"), true) << c.dump();
    ASSERT_EQ(res.at("runs").size(), 2U);
    for (const auto& run : res.at("runs")) {
      const auto& tool = run.at("forwarder_tool");
      const auto& dirs = tool.at("counters").at("directions");
      const long long run_pings =
          run.at("packets").at("sent").get<long long>() + run.at("warmup_sent").get<long long>();
      EXPECT_EQ(dirs.at("in_to_out").at("forwarded"), run_pings) << tool.dump(2);
      EXPECT_EQ(dirs.at("out_to_in").at("forwarded"), run_pings) << tool.dump(2);
      if (std::string(fwd) != "relay") {
        const auto& frames = tool.at("counters").at("frames");
        EXPECT_EQ(frames.at("invariant"), "holds");
        EXPECT_EQ(frames.at("accounted"), frames.at("total"));
        EXPECT_EQ(tool.at("mode").at("two_way"), true);
        EXPECT_EQ(tool.at("mode").at("xdp_attach"),
                  std::string(fwd) == "xsk_native" ? "native" : "generic");
      }
    }
    EXPECT_FALSE(left_namespaces(r.pid));
  }
}

// The pid of `parent`'s child whose command name is `comm` (0: none), from /proc/<pid>/stat.
pid_t child_named(pid_t parent, const std::string& comm) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && stat.substr(open + 1, close - open - 1) == comm) return std::stoi(name);
  }
  return 0;
}

// Bounded wait (30 s) for `pred`, polled every 50 ms.
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 600; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// A forwarder that falls behind (here: stopped with SIGSTOP from before the first frame until
// after the sender has finished) still holds the frames in its ingress socket buffer or RX ring
// when the sender is done. The run ends stage by stage: M drains what it holds, then B's
// receiver drains, so every frame reaches B, and the loss checks hold. A harness that ended B
// first and then stopped M dropped them all without any kernel counter saying so.
TEST(ForwardCommandTest, AStalledForwarderDeliversWhatItHeldWhenTheSenderFinished) {
  constexpr long long kCount = 2'000;  // fits B's socket buffer when M releases it at once
  for (const char* fwd : {"relay", "xsk_native", "xsk_generic"}) {
    SCOPED_TRACE(fwd);
    const std::string work = temp_path("stall");
    const std::string json = work + "/forward.json";
    std::filesystem::create_directories(work);
    ChildProcess run = ChildProcess::start(
        tool_argv("", "copylab",
                  {"forward", "--forwarders", fwd, "--no-unpaced", "--count",
                   std::to_string(kCount), "--rate", "2000", "--backend", "none",
                   "--sched-fifo", "0", "--work-dir", work, "--json", json}),
        work + "/copylab.log");
    const std::string tool = std::string(fwd) == "relay" ? "sock_forwarder" : "xdp_forwarder";
    const std::string stem = work + "/" + fwd + "-paced";
    pid_t m = 0;
    ASSERT_TRUE(eventually([&] {
      return std::filesystem::exists(stem + ".forwarder.ready") &&
             (m = child_named(run.pid(), tool)) != 0;
    })) << "no " << tool << " in " << work;
    ASSERT_EQ(kill(m, SIGSTOP), 0);
    // Stopped while A sends all its frames (the sender's JSON: written as it exits), and for two
    // seconds after (twice B's drain).
    const bool sender_done = eventually([&] {
      for (const auto& e : std::filesystem::directory_iterator(work)) {
        if (e.path().string().ends_with(".sender.json")) return true;
      }
      return false;
    });
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ASSERT_EQ(kill(m, SIGCONT), 0);
    ASSERT_TRUE(sender_done);
    const auto rc = run.wait_for(std::chrono::seconds(120));
    ASSERT_TRUE(rc.has_value());
    std::ifstream in(json);
    const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
    ASSERT_EQ(*rc, 0) << doc.dump(2);
    const nlohmann::json* r = run_of(doc, fwd, "paced");
    ASSERT_NE(r, nullptr) << doc.dump(2);
    EXPECT_EQ(r->at("forwarder_tool").at("result").at("stopped_by"), "drain");
    EXPECT_EQ(r->at("forwarded"), kCount) << r->at("forwarder_tool").dump(2);
    EXPECT_EQ(r->at("run").at("receiver").at("result").at("received"), kCount);
    // Without a ledger (--backend none) its rows are n/a (null); the loss rows are the kernel's.
    int loss_rows = 0;
    for (const auto& c : r->at("checks_m")) {
      EXPECT_NE(c.at("ok"), false) << c.dump();
      if (c.at("name").get<std::string>().starts_with("lost ")) {
        EXPECT_EQ(c.at("ok"), true) << c.dump();
        ++loss_rows;
      }
    }
    EXPECT_EQ(loss_rows, 2) << r->at("checks_m").dump(2);
    EXPECT_FALSE(left_namespaces(run.pid()));
    std::filesystem::remove_all(work);
  }
}

TEST(ForwardCommandTest, BadInputIsOneLineWithAFixBeforeAnyNamespace) {
  const std::vector<std::vector<std::string>> cases{
      {"--forwarders", "relay,relay"},
      {"--forwarders", "relay,bogus"},
      {"--size", "1473"},
      {"--ring-size", "4096", "--frame-count", "4096"},
      {"--backend", "kmod"},
      // SCHED_FIFO priorities are 1..99 (0: SCHED_OTHER).
      {"--sched-fifo", "100"},
      // --latency with an option of the throughput phases, and the other way round.
      {"--latency", "--rate", "1000"},
      {"--latency", "--no-unpaced"},
      {"--latency", "--backend", "bpf"},
      {"--latency", "--cpu-tx", "0"},
      {"--reps", "3"},
      {"--cpu-ping", "0"},
      // --latency with ends M cannot sit between, a mode that does not exist, the ping's port.
      {"--latency", "--modes", "xsk-xdptx-native"},
      {"--latency", "--modes", "bogus"},
      {"--latency", "--dst-port", "9000"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> a{"forward"};
    a.insert(a.end(), args.begin(), args.end());
    const ToolRun r = run_tool("", "copylab", a, std::chrono::seconds(30), false);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.output;
    EXPECT_NE(r.last_line().find("Fix:"), std::string::npos) << r.output;
    EXPECT_EQ(r.lines_containing("error:"), 1) << r.output;
    EXPECT_FALSE(left_namespaces(r.pid));
  }
}

}  // namespace
}  // namespace copylab::test

// trace/: the subcommands as a user runs them (`copylab hist|doctor`): `hist -- CMD`
// scoped to a command's process tree on real traffic, `doctor --json -`, and SIGINT leaving no BPF
// program, link, perf event or tracefs instance behind.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "netns/command.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "trace_test_support.hpp"

using namespace copylab;
using namespace copylab::trace::testing;
using namespace std::chrono_literals;

namespace {

const std::string kCli = TRACE_CLI_PATH;
const std::string kBurst = TRACE_UDP_BURST_PATH;

// A UDP socket bound in `ns` so the burst is received (no ICMP unreachable).
class Sink {
 public:
  Sink(const std::string& ns, const std::string& ip, int port) {
    NetnsScope in(ns);
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    const int buf = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) ADD_FAILURE() << "bind";
  }
  ~Sink() { ::close(fd_); }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

 private:
  int fd_ = -1;
};

std::string temp_path(const char* what) {
  return "/tmp/copylab-trace-test-" + std::to_string(::getpid()) + "-" + what;
}

TEST(HistCommand, ScopesToTheCommandsProcessTree) {
  Topology topo = Topology::create_unique("tracecli");
  const TopologyConfig& t = topo.config();
  Sink sink(t.ns_b, t.ip_b.str(), 9999);
  const std::string json_file = temp_path("hist.json");
  std::vector<std::string> argv{kCli, "hist", "--ledger", "--json", json_file, "--"};
  for (const std::string& a : netns_exec_argv(t.ns_a, {kBurst, t.ip_b.str(), "9999", "500"}))
    argv.push_back(a);
  const CommandResult r = run_command(argv);
  ASSERT_TRUE(r.ok()) << r.err << r.out;
  // The text is the ftrace hist format.
  EXPECT_NE(r.out.find("{ common_stacktrace:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Totals:\n    Hits: "), std::string::npos);

  std::ifstream in(json_file);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::remove(json_file.c_str());
  ASSERT_EQ(j.size(), 1U);
  const nlohmann::json& cc = j[0]["cross_check"];
  // Exactly the command's 500 datagrams: COPY #1 counted in its process tree (ip → burst).
  std::uint64_t copy1 = 0;
  for (const auto& line : cc["ledger"]["lines"])
    if (line["id"] == "copy1_user_to_kernel") copy1 = line["count"];
  EXPECT_EQ(copy1, 500U);
  // The netif_receive_skb stacks are the socket transmit stack.
  bool socket_stack = false;
  for (const auto& h : cc["histograms"]) {
    if (h["event"] != "net:netif_receive_skb") continue;
    for (const auto& e : h["entries"]) {
      std::string all;
      for (const auto& f : e["frames"]) all += f.get<std::string>() + "\n";
      if (all.find("__dev_queue_xmit+") != std::string::npos &&
          all.find("ip_send_skb+") != std::string::npos &&
          all.find("udp_sendmsg+") != std::string::npos)
        socket_stack = true;
    }
  }
  EXPECT_TRUE(socket_stack) << r.out;
}

// The frames of every netif_receive_skb stack of run `run` in the hist JSON, one string each.
std::vector<std::string> receive_stacks(const nlohmann::json& run) {
  std::vector<std::string> out;
  for (const auto& h : run["histograms"]) {
    if (h["event"] != "net:netif_receive_skb") continue;
    for (const auto& e : h["entries"]) {
      std::string all;
      for (const auto& f : e["frames"]) all += f.get<std::string>() + "\n";
      out.push_back(all);
    }
  }
  return out;
}

bool any_contains_in_order(const std::vector<std::string>& stacks,
                           const std::vector<std::string>& chain) {
  for (const std::string& s : stacks) {
    std::size_t pos = 0;
    bool ok = true;
    for (const std::string& fn : chain) {
      pos = s.find(fn + "+", pos);
      if (pos == std::string::npos) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

TEST(HistCommand, PathBothShowsBothTransmitStacks) {
  if (::access(SOCK_SENDER_PATH, X_OK) != 0 || ::access(XDP_SENDER_PATH, X_OK) != 0)
    GTEST_SKIP() << "copylab's sender/receiver binaries are not built";
  const std::string json_file = temp_path("path.json");
  const CommandResult r =
      run_command({kCli, "hist", "--path", "both", "--count", "1000", "--json", json_file});
  ASSERT_TRUE(r.ok()) << r.err << r.out;
  std::ifstream in(json_file);
  const nlohmann::json j = nlohmann::json::parse(in);
  std::remove(json_file.c_str());
  ASSERT_EQ(j.size(), 2U);
  // Socket path: udp_sendmsg → ip_send_skb → __dev_queue_xmit, delivered in the sender's softirq.
  EXPECT_TRUE(any_contains_in_order(receive_stacks(j[0]), {"process_backlog", "__dev_queue_xmit",
                                                           "ip_send_skb", "udp_sendmsg"}))
      << r.out;
  // AF_XDP generic mode: xsk_sendmsg → __xsk_generic_xmit → __dev_direct_xmit.
  EXPECT_TRUE(any_contains_in_order(receive_stacks(j[1]), {"process_backlog", "__dev_direct_xmit",
                                                           "__xsk_generic_xmit", "xsk_sendmsg"}))
      << r.out;
  EXPECT_FALSE(any_contains_in_order(receive_stacks(j[1]), {"udp_sendmsg"}));
  // The child tools' mode objects (one long JSON line each) are for -v only.
  EXPECT_EQ(r.err.find("datapath, mode {"), std::string::npos) << r.err;
}

// -vv: the child tools' mode lines, and libbpf's messages with one "libbpf: " prefix each.
TEST(HistCommand, VerboseShowsChildModesAndLibbpfOnce) {
  if (::access(SOCK_SENDER_PATH, X_OK) != 0)
    GTEST_SKIP() << "copylab's sender/receiver binaries are not built";
  const std::string json_file = temp_path("path-vv.json");
  const CommandResult r = run_command(
      {kCli, "hist", "-vv", "--path", "socket", "--count", "200", "--json", json_file});
  std::remove(json_file.c_str());
  ASSERT_TRUE(r.ok()) << r.err << r.out;
  EXPECT_NE(r.err.find("sock_receiver: socket datapath, mode {"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("libbpf: "), std::string::npos) << "no libbpf message at -vv: " << r.err;
  EXPECT_EQ(r.err.find("libbpf: libbpf:"), std::string::npos) << r.err;
}

TEST(HistCommand, RejectsNeitherPathNorCommand) {
  const CommandResult r = run_command({kCli, "hist"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--path"), std::string::npos) << r.err;
}

TEST(DoctorCommand, JsonNamesEveryBackend) {
  const CommandResult r = run_command({kCli, "doctor", "--json", "-"});
  ASSERT_TRUE(r.ok()) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["capabilities"]["tp_btf"]["ok"].is_boolean());
  ASSERT_EQ(j["devices"].size(), 1U);
  EXPECT_TRUE(j["devices"][0]["temporary"]);
  EXPECT_TRUE(j["devices"][0]["capabilities"].contains("xsk_zerocopy"));
  EXPECT_GE(j["backends"].size(), 5U);
}

TEST(DoctorCommand, BadDeviceIsOneLineAndExit2) {
  const CommandResult r = run_command({kCli, "doctor", "--dev", "nosuchdev0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("nosuchdev0"), std::string::npos);
  EXPECT_NE(r.err.find("Fix"), std::string::npos) << r.err;
}

TEST(HistCommand, SigintLeavesNothingAttached) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl(kCli.c_str(), kCli.c_str(), "hist", "--", "sleep", "30", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait (bounded) until the cross-check is attached.
  BpfIds held;
  // Bounded by time, generous: loading and verifying the programs takes seconds on a busy machine.
  const auto attach_by = std::chrono::steady_clock::now() + 30s;
  while (held.links.size() < 10 && std::chrono::steady_clock::now() < attach_by) {
    std::this_thread::sleep_for(10ms);
    held = bpf_ids_of(pid);
  }
  ASSERT_GE(held.links.size(), 10U) << "the cross-check never attached";
  ::kill(pid, SIGINT);
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  pid_t r = 0;
  while ((r = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(r, pid) << "copylab hist did not stop on SIGINT";
  EXPECT_TRUE(WIFEXITED(status)) << "killed by a signal instead of unwinding";
  for (std::uint32_t id : held.links) EXPECT_FALSE(bpf_link_exists(id)) << "link " << id;
  std::set<std::uint32_t> alive = held.progs;
  const auto freed_by = std::chrono::steady_clock::now() + 30s;  // after an RCU grace period
  while (!alive.empty() && std::chrono::steady_clock::now() < freed_by) {
    std::erase_if(alive, [](std::uint32_t id) { return !bpf_prog_exists(id); });
    if (!alive.empty()) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(alive.empty()) << alive.size() << " BPF programs outlived the process";
  EXPECT_EQ(tracefs_instances_of(pid), 0);
}

}  // namespace

// The tracefs hist trigger backend against the real kernel: a HistTriggerSession is either armed
// (kernels with hist triggers: instance + triggers exist, and are gone after the session) or
// refused (this host: EINVAL) with the kernel's errno, leaving nothing behind; and `copylab hist
// --path socket` run for real in its own namespaces says which, and leaves no instance behind.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "evidence/capabilities.hpp"
#include "evidence/hist_trigger.hpp"
#include "evidence/tracefs.hpp"
#include "trace_test_support.hpp"

using namespace copylab;
using namespace copylab::trace;
using namespace copylab::trace::testing;
using namespace std::chrono_literals;

namespace {

const std::string kBinDir = COPYLAB_HIST_BIN_DIR;

std::string temp_path(const std::string& what) {
  return "/tmp/copylab-hist-test-" + std::to_string(::getpid()) + "-" + what;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A forked `copylab ARGS...` with stdout+stderr in `log`: the pid is known, so its tracefs
// instances (copylab-<pid>-*) can be checked afterwards.
pid_t spawn_copylab(const std::vector<std::string>& args, const std::string& log) {
  const std::string exe = kBinDir + "/copylab";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(exe.c_str()));  // NOLINT: execv's signature
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits (bounded) for `pid`; its exit code, 128 + signal, or -1 on timeout (then it is killed).
int wait_bounded(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(20ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

TEST(HistTriggerSession, ArmedOrRefusedNothingLeftBehind) {
  const HistTriggerSupport support = probe_hist_trigger_support();
  const std::string key = support.available ? support.stack_key : hist_stack_key_for_kernel();
  if (support.available) {
    std::string instance;
    {
      HistTriggerSession s(key, {"net:netif_receive_skb"}, {{"copylab-none", 0}});
      instance = s.instance_path();
      EXPECT_EQ(tracefs_instances_of(::getpid()), 1);
      const std::string armed =
          read_tracefs_file(instance + "/events/net/netif_receive_skb/trigger");
      EXPECT_NE(armed.find("hist:keys=" + key), std::string::npos) << armed;
      EXPECT_NE(read_tracefs_file(instance + "/events/sched/sched_process_exec/trigger")
                    .find("enable_hist:net:netif_receive_skb"),
                std::string::npos);
      // Nothing ran in the window: the kernel's hist is empty.
      const std::vector<HistTriggerOutput> out = s.read();
      ASSERT_EQ(out.size(), 1U);
      EXPECT_EQ(out[0].hits_reported, 0) << out[0].raw;
    }
    EXPECT_FALSE(std::filesystem::exists(instance));
  } else {
    // This host (no CONFIG_HIST_TRIGGERS): the kernel refuses the hist, the session throws with
    // its errno, and the instance made for it is gone again.
    try {
      HistTriggerSession s(key, {"net:netif_receive_skb"}, {{"copylab-none", 0}});
      ADD_FAILURE() << "the probe said '" << support.reason << "' but the session was armed";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("hist:keys=" + key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("failed: "), std::string::npos) << e.what();  // + errno
    }
  }
  EXPECT_EQ(tracefs_instances_of(::getpid()), 0);
}

TEST(HistCommand, PathSocketSaysWhatTheTriggerDidAndLeavesNothing) {
  for (const char* tool : {"copylab", "sock_sender", "sock_receiver"})
    if (::access((kBinDir + "/" + tool).c_str(), X_OK) != 0)
      GTEST_SKIP() << kBinDir << "/" << tool << " is not built";
  const HistTriggerSupport support = probe_hist_trigger_support();
  const std::string log = temp_path("path.log");
  const std::string json_file = temp_path("path.json");
  const std::string out_dir = temp_path("out");
  const pid_t pid = spawn_copylab({"hist", "--path", "socket", "--count", "300", "--event",
                                   "netif_receive_skb", "--json", json_file, "--out", out_dir},
                                  log);
  ASSERT_GT(pid, 0);
  const int rc = wait_bounded(pid, 120s);
  const std::string out = slurp(log);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(tracefs_instances_of(pid), 0) << "copylab left a tracefs instance behind";
  std::ifstream in(json_file);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  ASSERT_EQ(j.size(), 1U);
  // The BPF part ran as before: the socket transmit stack with every datagram.
  std::uint64_t bpf_hits = 0;
  for (const auto& h : j[0]["histograms"])
    if (h["event"] == "net:netif_receive_skb") bpf_hits = h["hits"];
  EXPECT_GE(bpf_hits, 300U) << out;
  if (support.available) {
    EXPECT_NE(out.find("# tracefs hist trigger: armed in instances/copylab-" + std::to_string(pid)),
              std::string::npos)
        << out;
    EXPECT_TRUE(j[0]["hist_trigger"]["used"]);
    const std::string saved = out_dir + "/hist-trigger.socket.netif_receive_skb.txt";
    EXPECT_NE(slurp(saved).find("udp_sendmsg+"), std::string::npos) << saved;
  } else {
    // One line with the probe's reason, and nothing armed.
    EXPECT_NE(out.find("tracefs hist trigger: unavailable (" + support.reason + ")\n"),
              std::string::npos)
        << out;
    EXPECT_FALSE(j[0]["hist_trigger"]["used"]);
    EXPECT_FALSE(std::filesystem::exists(out_dir + "/hist-trigger.socket.netif_receive_skb.txt"));
  }
  std::remove(json_file.c_str());
  std::remove(log.c_str());
  std::filesystem::remove_all(out_dir);
}

TEST(HistCommand, SigintWhileArmedRemovesTriggersAndInstance) {
  if (::access((kBinDir + "/copylab").c_str(), X_OK) != 0)
    GTEST_SKIP() << kBinDir << "/copylab is not built";
  const std::string log = temp_path("sigint.log");
  const pid_t pid = spawn_copylab({"hist", "--", "sleep", "30"}, log);
  ASSERT_GT(pid, 0);
  const HistTriggerSupport support = probe_hist_trigger_support();
  // Until the command runs under the trigger (or, without hist triggers, under the BPF part):
  // the log's first line is written before the command is released.
  std::string instance;
  // Bounded by time, generous: loading and verifying the BPF part takes seconds on a busy machine.
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(10ms);
    if (!support.available) {
      if (!bpf_ids_of(pid).links.empty()) break;
      continue;
    }
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(find_tracefs_mount() + "/instances", ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("copylab-" + std::to_string(pid) + "-", 0) == 0 &&
          read_tracefs_file(e.path().string() + "/events/sched/sched_process_exit/trigger")
                  .find("disable_hist") != std::string::npos)
        instance = e.path().string();
    }
    if (!instance.empty()) break;
  }
  if (support.available) {
    EXPECT_FALSE(instance.empty()) << "the trigger was never armed";
  }
  ::kill(pid, SIGINT);
  const int rc = wait_bounded(pid, 15s);
  EXPECT_EQ(rc, 130) << slurp(log);
  EXPECT_EQ(tracefs_instances_of(pid), 0);
  std::remove(log.c_str());
}

}  // namespace

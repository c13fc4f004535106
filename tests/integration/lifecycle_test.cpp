// Nothing left behind, whatever ends a run. Every tool and subcommand is ended once by a closed
// stdout (what `| head -1` does to it) and once by SIGKILL, each time while it holds kernel
// state (the handshake is its ready file or its own run record, never a sleep). Then: a closed
// stdout must end it normally with 141 and nothing of it left; after SIGKILL its child tools
// must be gone (parent-death signal) and the next run or `copylab cleanup` must reclaim every
// namespace, XDP program, mount, work dir and record of it, saying so in one line. A run whose
// children a harness killed first is killed while it unwinds, and still leaves no work dir.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

#include "common/bpf_prog_owner.hpp"
#include "common/output_file.hpp"
#include "common/run_registry.hpp"
#include "netns/topology.hpp"
#include "tests/integration/tool_harness.hpp"

namespace copylab::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

// Polls `done` every 10 ms up to `bound`: a handshake with a deadline, not a sleep.
bool wait_until(const std::function<bool()>& done, seconds bound) {
  const auto end = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A tool started as a shell pipeline starts it: stdout into a pipe whose read end the test
// holds (closing it is `head` exiting), stderr into a log. Killed and reaped if the test fails.
// With `stderr_pipe`, stderr goes into a pipe the test reads one write at a time, not the log.
class Launched {
 public:
  Launched(const std::vector<std::string>& argv, std::string log, bool stderr_pipe = false)
      : log_(std::move(log)) {
    int fds[2];
    int err[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    if (stderr_pipe) {
      if (::pipe2(err, O_CLOEXEC | O_DIRECT) != 0) throw std::runtime_error("pipe2");
      ::fcntl(err[0], F_SETPIPE_SZ, 4096);
      ::fcntl(err[0], F_SETFL, ::fcntl(err[0], F_GETFL) | O_NONBLOCK);
    }
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    const int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(stderr_pipe ? err[1] : log_fd, STDERR_FILENO);
      ::execvp(cargv[0], cargv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    ::close(log_fd);
    reader_ = fds[0];
    err_reader_ = err[0];
    err_writer_ = err[1];
  }
  ~Launched() {
    close_stdout_reader();
    for (int fd : {err_reader_, err_writer_}) {
      if (fd >= 0) ::close(fd);
    }
    if (!status_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Launched(const Launched&) = delete;
  Launched& operator=(const Launched&) = delete;

  pid_t pid() const { return pid_; }
  void close_stdout_reader() {
    if (reader_ >= 0) ::close(reader_);
    reader_ = -1;
  }
  void kill9() {
    ::kill(pid_, SIGKILL);
    wait(seconds(10));
  }
  bool running() {
    poll();
    return !status_;
  }
  // The raw wait status; nullopt when it is still running after `bound`.
  std::optional<int> wait(seconds bound) {
    wait_until([&] { return !running(); }, bound);
    return status_;
  }
  std::string log() const { return err_reader_ >= 0 ? err_text_ : slurp(log_); }

  // The stderr pipe is one page in packet mode: it holds one write, the run's next write to
  // stderr blocks until the test takes one (pass_one_write) or everything (drain_stderr).
  void drain_stderr() {
    while (pass_one_write()) {
    }
  }
  // Takes what the run wrote and puts a line of the test's own in the pipe: the run's next write
  // blocks. Written through a second open file description of the pipe, whose O_NONBLOCK (the
  // run may have filled the pipe meanwhile) leaves the run's writes blocking.
  void hold_stderr() {
    drain_stderr();
    const int fd = ::open(("/proc/self/fd/" + std::to_string(err_writer_)).c_str(),
                          O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ASSERT_GE(fd, 0) << "reopening the stderr pipe: " << std::strerror(errno);
    // A packet of its own (O_DIRECT), or the run's next line would merge into it.
    ::fcntl(fd, F_SETFL, O_NONBLOCK | O_DIRECT);
    const char held[] = "(stderr held by the test)\n";
    [[maybe_unused]] const ssize_t n = ::write(fd, held, sizeof(held) - 1);  // EAGAIN: held
    ::close(fd);
  }
  bool pass_one_write() {
    char buf[4096];
    const ssize_t n = ::read(err_reader_, buf, sizeof(buf));
    if (n > 0) err_text_.append(buf, static_cast<std::size_t>(n));
    return n > 0;
  }
  // True while the run's main thread is in write(2) on its stderr (/proc/<pid>/syscall: the
  // number, then the arguments in hex).
  bool writing_stderr() const {
    std::istringstream in(slurp("/proc/" + std::to_string(pid_) + "/syscall"));
    std::string nr;
    std::string fd;
    in >> nr >> fd;
    return nr == std::to_string(SYS_write) && fd == "0x2";
  }

 private:
  void poll() {
    int st = 0;
    if (!status_ && ::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
  }
  std::string log_;
  pid_t pid_ = -1;
  int reader_ = -1;
  int err_reader_ = -1;
  int err_writer_ = -1;  // kept to put the test's own line in the pipe (hold_stderr)
  std::string err_text_;
  std::optional<int> status_;
};

// The run record of `pid` (common/run_registry.hpp), or null.
json record_of(pid_t pid) {
  std::error_code ec;
  const std::string prefix = std::to_string(pid) + "-";
  for (const auto& e : fs::directory_iterator(run_state_dir(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    json doc = json::parse(in, nullptr, false);
    if (!doc.is_discarded()) return doc;
  }
  return nullptr;
}

bool record_has(pid_t pid, const std::string& kind, bool needs_prog_id = false) {
  const json rec = record_of(pid);
  if (!rec.is_object()) return false;
  for (const json& item : rec.value("items", json::array())) {
    if (item.value("kind", "") != kind) continue;
    if (!needs_prog_id || item.value("prog_id", 0U) != 0U) return true;
  }
  return false;
}

// Everything a run (and the child tools it started) had in its records at one moment.
struct Holdings {
  std::vector<pid_t> record_pids;
  std::vector<std::string> namespaces;
  std::vector<std::uint32_t> prog_ids;
  std::vector<std::string> bpffs_paths;
  std::vector<std::string> paths;  // work dirs and files
  std::vector<std::pair<pid_t, std::uint64_t>> children;
};

void collect(pid_t pid, Holdings& h) {
  const json rec = record_of(pid);
  if (!rec.is_object()) return;
  h.record_pids.push_back(pid);
  for (const json& item : rec.value("items", json::array())) {
    const std::string kind = item.value("kind", "");
    if (kind == "netns") {
      for (const auto& n : item.at("names")) h.namespaces.push_back(n.get<std::string>());
    } else if (kind == "xdp" && item.value("prog_id", 0U) != 0U) {
      h.prog_ids.push_back(item.value("prog_id", 0U));
    } else if (kind == "mount" && item.value("fstype", "") == "bpf") {
      h.bpffs_paths.push_back(item.value("path", ""));
    } else if (kind == "work_dir" || kind == "file") {
      h.paths.push_back(item.value("path", ""));
    } else if (kind == "process") {
      const pid_t child = item.value("pid", 0);
      h.children.emplace_back(child, item.value("start_time", std::uint64_t{0}));
      collect(child, h);  // a child tool's own record (its XDP program, its bpffs)
    }
  }
}

bool is_bpffs(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 &&
         st.f_type == static_cast<decltype(st.f_type)>(BPF_FS_MAGIC);
}

// Nothing of `h` is left: no record, namespace, XDP program, bpffs, path or process.
void expect_nothing_left(const Holdings& h) {
  for (const auto& [pid, start] : h.children) {
    EXPECT_TRUE(wait_until([&, p = pid, s = start] { return !process_alive(p, s); }, seconds(15)))
        << "child " << pid << " (" << process_command_line(pid) << ") outlived its parent";
  }
  for (pid_t pid : h.record_pids) {
    EXPECT_TRUE(record_of(pid).is_null()) << "record of " << pid << " left: " << record_of(pid);
  }
  for (const std::string& ns : h.namespaces) {
    EXPECT_FALSE(fs::exists("/run/netns/" + ns)) << "namespace " << ns << " left";
  }
  // A detached program is freed after an RCU grace period: bounded wait for its id to go.
  for (std::uint32_t id : h.prog_ids) {
    EXPECT_TRUE(wait_until([id] { return bpf_prog_name(id).empty(); }, seconds(10)))
        << "XDP program id " << id << " (" << bpf_prog_name(id) << ") left";
  }
  for (const std::string& p : h.bpffs_paths) {
    EXPECT_FALSE(is_bpffs(p)) << "bpffs left mounted at " << p;
    EXPECT_FALSE(fs::exists(p)) << "mount point " << p << " left";
  }
  for (const std::string& p : h.paths) EXPECT_FALSE(fs::exists(p)) << p << " left";
}

int lines_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

enum class Ending { kClosedStdout, kKill9 };

struct LifeCase {
  std::string tool;  // a tool binary, or a copylab subcommand
  Ending ending;
};

// gtest (and ctest's test names) print a case by its tool and ending, not as a byte dump.
void PrintTo(const LifeCase& c, std::ostream* os) {
  *os << c.tool << (c.ending == Ending::kClosedStdout ? " closed-stdout" : " kill-9");
}

std::string case_name(const ::testing::TestParamInfo<LifeCase>& info) {
  std::string n;
  for (char c : info.param.tool) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) n += c;
  }
  return n + (info.param.ending == Ending::kClosedStdout ? "_ClosedStdout" : "_Kill9");
}

bool is_subcommand(const std::string& tool) {
  return tool == "compare" || tool == "latency" || tool == "hist";
}

class NothingLeftBehind : public ::testing::TestWithParam<LifeCase> {
 protected:
  void SetUp() override {
    if (!is_subcommand(GetParam().tool)) topo_.emplace(Topology::create_unique("life"));
  }
  const TopologyConfig& t() const { return topo_->config(); }

  std::vector<std::string> argv_for(const std::string& tool, const std::string& ready) const {
    const bool kill9 = GetParam().ending == Ending::kKill9;
    if (tool == "compare") {
      return {bin("copylab"), "compare", "--count", "3000", "--rate", "20000", "--no-unpaced",
              "--backend", "none"};
    }
    if (tool == "latency") {
      return {bin("copylab"), "latency", "--modes", "xsk-spin-native", "--count", "300",
              "--warmup", "30", "--reps", "1", "--quiet"};
    }
    if (tool == "hist") {
      return {bin("copylab"), "hist", "--path", "xdp", "--count", "300", "--hist-trigger", "off"};
    }
    ToolLaunch l = launch_of(tool);
    l.duration_s = 30;
    if (l.role == ToolRole::kSender) {
      // Killed while sending: more than it can send before the kill; else a short run.
      l.count = kill9 ? 100000000 : 20000;
    } else {
      l.count = kill9 ? 0 : 300;
      l.idle_timeout_s = 1;
      l.per_second = false;
    }
    l.json_file = "-";
    l.ready_file = ready;
    return tool_argv(t(), l, COPYLAB_TEST_BIN_DIR);
  }

  // A traffic tool by name with the tools' default path (pathspec's factory builds its argv).
  static ToolLaunch launch_of(const std::string& tool) {
    ToolLaunch l;
    l.path = tool.rfind("xdp_", 0) == 0 ? af_xdp_path(XdpMode::kAuto) : socket_path();
    l.role = tool.find("sender") != std::string::npos ? ToolRole::kSender : ToolRole::kReceiver;
    return l;
  }

  // True once the run holds what it will leave behind if it is killed now.
  bool holds_state(const std::string& tool, pid_t pid, const std::string& ready) const {
    if (tool == "compare" || tool == "hist") return record_has(pid, "process");  // a child runs
    if (tool == "latency") return record_has(pid, "xdp", true);  // an XDP program is attached
    return ::access(ready.c_str(), F_OK) == 0;
  }

  std::optional<Topology> topo_;
};

TEST_P(NothingLeftBehind, AndTheNextRunSaysWhatItReclaimed) {
  const LifeCase& c = GetParam();
  const std::string ready = temp_path(c.tool + ".ready");
  const std::string log = temp_path(c.tool + ".log");
  Launched run(argv_for(c.tool, ready), log);
  ASSERT_TRUE(wait_until([&] { return holds_state(c.tool, run.pid(), ready) || !run.running(); },
                         seconds(120)))
      << run.log();
  ASSERT_TRUE(run.running()) << "ended before it held any state:\n" << run.log();
  Holdings held;
  collect(run.pid(), held);

  if (c.ending == Ending::kClosedStdout) {
    run.close_stdout_reader();
    if (c.tool == "xdp_receiver" || c.tool == "sock_receiver") {
      auto args = sock_sender_args(t());
      args.insert(args.end(), {"--count", "300"});
      const ToolRun tx = run_tool(t().ns_a, "sock_sender", args);
      EXPECT_EQ(tx.exit_code, 0) << tx.output;
    }
    const auto status = run.wait(seconds(180));
    ASSERT_TRUE(status.has_value()) << "still running:\n" << run.log();
    // Not killed by SIGPIPE: it saw EPIPE, unwound, and says so as a shell would (128 + 13).
    ASSERT_TRUE(WIFEXITED(*status)) << "killed by signal " << WTERMSIG(*status) << "\n" << run.log();
    EXPECT_EQ(WEXITSTATUS(*status), 141) << run.log();
    expect_nothing_left(held);
    if (topo_) {
      EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "");
      EXPECT_EQ(attached_xdp(t().ns_a, t().dev_a), "");
    }
    return;
  }

  run.kill9();
  Holdings after = held;
  collect(run.pid(), after);  // a record may have grown between the snapshot and the kill
  const bool left_state = !record_of(run.pid()).is_null();
  std::string next_output;
  if (is_subcommand(c.tool)) {
    const ToolRun cleanup = run_tool("", "copylab", {"cleanup"}, seconds(60), false);
    EXPECT_EQ(cleanup.exit_code, 0) << cleanup.output;
    next_output = cleanup.output;
    const ToolRun again = run_tool("", "copylab", {"cleanup"}, seconds(60), false);
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(lines_with(again.output, "run " + std::to_string(run.pid()) + " "), 0)
        << again.output;
  } else {
    // The next run of the same tool on the same device starts, reclaims, and works.
    ToolLaunch l = launch_of(c.tool);
    if (l.role == ToolRole::kSender) {
      l.count = 100;
    } else {
      l.count = 0;
      l.duration_s = 1;
      l.per_second = false;
    }
    const LaunchCommand next_cmd = launch_command(t(), l);
    const ToolRun next = run_tool(next_cmd.ns, next_cmd.tool, next_cmd.args, seconds(60));
    EXPECT_EQ(next.exit_code, 0) << next.output;
    next_output = next.output;
    EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "");
  }
  // One line naming the killed run, exactly when it left something to reclaim.
  EXPECT_EQ(lines_with(next_output, "run " + std::to_string(run.pid()) + " ("),
            left_state ? 1 : 0)
      << next_output;
  if (c.tool == "xdp_receiver" || is_subcommand(c.tool)) {
    EXPECT_TRUE(left_state) << "a SIGKILLed " << c.tool << " holding state left no record";
  }
  expect_nothing_left(after);
}

INSTANTIATE_TEST_SUITE_P(
    Lifecycle, NothingLeftBehind,
    ::testing::Values(LifeCase{"xdp_receiver", Ending::kClosedStdout},
                      LifeCase{"xdp_receiver", Ending::kKill9},
                      LifeCase{"xdp_sender", Ending::kClosedStdout},
                      LifeCase{"xdp_sender", Ending::kKill9},
                      LifeCase{"sock_receiver", Ending::kClosedStdout},
                      LifeCase{"sock_receiver", Ending::kKill9},
                      LifeCase{"compare", Ending::kClosedStdout},
                      LifeCase{"compare", Ending::kKill9},
                      LifeCase{"latency", Ending::kClosedStdout},
                      LifeCase{"latency", Ending::kKill9},
                      LifeCase{"hist", Ending::kClosedStdout},
                      LifeCase{"hist", Ending::kKill9}),
    case_name);

// A harness that kills a run's tree from the leaves kills its child tools first: the run sees
// them fail, keeps its work dir for the user ("logs kept in ...") and unwinds, and is killed
// halfway. It never ended, so its work dir is stale state like the rest: `copylab cleanup`
// removes it, naming it in the run's one line. The handshake is the run's stderr, a pipe that
// holds one write: the test lets the run's lines through one by one until the run, its children
// reaped, blocks on the next one (the "logs kept in" line, after keep()), and kills it there.
struct UnwindCase {
  std::string cmd;  // the subcommand; its work dirs are <tmp>/copylab-<cmd>-*
  std::vector<std::string> args;
};

void PrintTo(const UnwindCase& c, std::ostream* os) { *os << c.cmd; }

std::string unwind_case_name(const ::testing::TestParamInfo<UnwindCase>& p) { return p.param.cmd; }

class KilledWhileUnwinding : public ::testing::TestWithParam<UnwindCase> {};

TEST_P(KilledWhileUnwinding, LeavesNoWorkDir) {
  const UnwindCase& c = GetParam();
  std::vector<std::string> argv{bin("copylab"), c.cmd};
  argv.insert(argv.end(), c.args.begin(), c.args.end());
  Launched run(argv, temp_path(c.cmd + "-unwind.log"), /*stderr_pipe=*/true);
  const auto children = [&] {
    std::vector<pid_t> pids;
    const json rec = record_of(run.pid());
    if (!rec.is_object()) return pids;
    for (const json& item : rec.value("items", json::array())) {
      if (item.value("kind", "") == "process") pids.push_back(item.value("pid", 0));
    }
    return pids;
  };
  // Mid-traffic: its sender and receiver both run.
  ASSERT_TRUE(wait_until(
      [&] {
        run.drain_stderr();
        return children().size() >= 2 || !run.running();
      },
      seconds(120)));
  ASSERT_TRUE(run.running()) << run.log();
  Holdings held;
  collect(run.pid(), held);
  const std::string work_prefix = temp_dir() + "/copylab-" + c.cmd + "-";
  ASSERT_TRUE(std::any_of(held.paths.begin(), held.paths.end(),
                          [&](const std::string& p) { return p.rfind(work_prefix, 0) == 0; }))
      << "no " << work_prefix << "* in the run's record: " << record_of(run.pid());

  run.hold_stderr();
  for (pid_t child : children()) ::kill(child, SIGKILL);
  // One line at a time until the run blocks on a line with no child left in its record.
  bool unwinding = false;
  for (int lines = 0; lines < 1000 && !unwinding; ++lines) {
    ASSERT_TRUE(wait_until([&] { return run.writing_stderr() || !run.running(); }, seconds(60)))
        << "the run neither wrote nor ended:\n" << record_of(run.pid());
    ASSERT_TRUE(run.running()) << "ended by itself:\n" << run.log();
    unwinding = children().empty();
    if (!unwinding) run.pass_one_write();
  }
  ASSERT_TRUE(unwinding) << run.log();
  // It keeps its work dir for the user now, and the dir is still in its record until it ends.
  EXPECT_TRUE(record_has(run.pid(), "work_dir")) << record_of(run.pid());
  run.kill9();

  const ToolRun cleanup = run_tool("", "copylab", {"cleanup"}, seconds(60), false);
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.output;
  EXPECT_EQ(lines_with(cleanup.output, "run " + std::to_string(run.pid()) + " ("), 1)
      << cleanup.output;
  for (const std::string& p : held.paths) {
    if (p.rfind(work_prefix, 0) == 0) {
      EXPECT_EQ(lines_with(cleanup.output, "work dir " + p), 1) << cleanup.output;
    }
  }
  expect_nothing_left(held);
}

INSTANTIATE_TEST_SUITE_P(
    Lifecycle, KilledWhileUnwinding,
    ::testing::Values(UnwindCase{"compare", {"--count", "3000000", "--rate", "20000",
                                             "--no-unpaced", "--backend", "none"}},
                      UnwindCase{"forward", {"--count", "3000000", "--rate", "20000",
                                             "--no-unpaced", "--backend", "none"}}),
    unwind_case_name);

// The XDP program a killed receiver left is copylab's, even when no record names it: the next
// run reclaims it in one line instead of calling it someone else's; while its run lives, the
// program is "in use by copylab run <pid>", never a --force-replace case.
class StaleProgram : public ::testing::Test {
 protected:
  StaleProgram() : topo_(Topology::create_unique("stale")) {}
  const TopologyConfig& t() const { return topo_.config(); }
  // An AF_XDP receiver in the tool's default XDP mode that runs until `duration_s` (pathspec's
  // factory builds its flags).
  static ToolLaunch receiver_launch(double duration_s) {
    ToolLaunch l;
    l.path = af_xdp_path(XdpMode::kAuto);
    l.role = ToolRole::kReceiver;
    l.count = 0;
    l.duration_s = duration_s;
    return l;
  }
  std::vector<std::string> receiver(const std::string& ready) const {
    ToolLaunch l = receiver_launch(30);
    l.per_second = false;
    l.ready_file = ready;
    return tool_argv(t(), l, COPYLAB_TEST_BIN_DIR);
  }
  ToolRun run_receiver() const {
    const LaunchCommand c = launch_command(t(), receiver_launch(1));
    return run_tool(c.ns, c.tool, c.args);
  }
  Topology topo_;
};

TEST_F(StaleProgram, LiveRunsProgramIsInUseNotSomeoneElses) {
  const std::string ready = temp_path("live.ready");
  Launched first(receiver(ready), temp_path("live.log"));
  ASSERT_TRUE(wait_until([&] { return ::access(ready.c_str(), F_OK) == 0 || !first.running(); },
                         seconds(60)));
  ASSERT_TRUE(first.running()) << first.log();
  const ToolRun second = run_receiver();
  EXPECT_NE(second.exit_code, 0) << second.output;
  EXPECT_NE(second.last_line().find("in use by copylab run " + std::to_string(first.pid())),
            std::string::npos)
      << second.output;
  EXPECT_EQ(second.output.find("someone else"), std::string::npos) << second.output;
  EXPECT_EQ(second.output.find("--force-replace"), std::string::npos) << second.output;
  EXPECT_NE(attached_xdp(t().ns_b, t().dev_b), "");  // the live run's program stays
  first.kill9();
}

TEST_F(StaleProgram, UnrecordedStaleProgramIsReclaimedInOneLine) {
  const std::string ready = temp_path("stale.ready");
  Launched first(receiver(ready), temp_path("stale.log"));
  ASSERT_TRUE(wait_until([&] { return ::access(ready.c_str(), F_OK) == 0 || !first.running(); },
                         seconds(60)));
  ASSERT_TRUE(first.running()) << first.log();
  first.kill9();
  ASSERT_NE(attached_xdp(t().ns_b, t().dev_b), "");  // SIGKILL left it attached
  // As if the run had left no record (one from before records existed, or a lost /run).
  const json rec = record_of(first.pid());
  ASSERT_TRUE(rec.is_object());
  for (const auto& e : fs::directory_iterator(run_state_dir())) {
    if (e.path().filename().string().rfind(std::to_string(first.pid()) + "-", 0) == 0)
      fs::remove(e.path());
  }
  const ToolRun next = run_receiver();
  EXPECT_EQ(next.exit_code, 0) << next.output;
  EXPECT_EQ(lines_with(next.output, "reclaimed a stale copylab XDP program 'copylab_steer'"), 1)
      << next.output;
  EXPECT_EQ(next.output.find("someone else"), std::string::npos) << next.output;
  EXPECT_EQ(attached_xdp(t().ns_b, t().dev_b), "");
  // Its private bpffs mount point (the mount itself went with `ip netns exec`'s mount namespace).
  for (const json& item : rec.at("items")) {
    if (item.value("kind", "") == "mount") ::rmdir(item.value("path", "").c_str());
  }
}

}  // namespace
}  // namespace copylab::test

// common/child_process and common/ready_file: the one way copylab runs another program.
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/ready_file.hpp"
#include "common/stop.hpp"

namespace copylab {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

class ChildProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("copylab-test-" + std::to_string(::getpid()) + "-child");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  fs::path dir_;
};

std::string exe_of(pid_t pid) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
}

TEST_F(ChildProcessTest, HeldChildExecsOnlyAtRelease) {
  SpawnOptions opt;
  opt.log_path = path("held.log");
  opt.held = true;
  ChildProcess c = ChildProcess::spawn({"sh", "-c", "echo ran"}, opt);
  // Still the forked copy of this test binary: nothing of sh has run.
  EXPECT_EQ(exe_of(c.pid()), exe_of(::getpid()));
  EXPECT_TRUE(c.running());
  c.release();
  EXPECT_EQ(c.wait_for(seconds(10)), 0);
  EXPECT_EQ(slurp(opt.log_path), "ran\n");
}

TEST_F(ChildProcessTest, HeldChildNeverReleasedDoesNotRun) {
  SpawnOptions opt;
  opt.log_path = path("never.log");
  opt.held = true;
  { ChildProcess c = ChildProcess::spawn({"sh", "-c", "echo ran"}, opt); }
  EXPECT_EQ(slurp(opt.log_path), "");
}

TEST_F(ChildProcessTest, ExecFailureIsAnErrorAtStartOrRelease) {
  EXPECT_THROW(ChildProcess::start({"/nonexistent/copylab-tool"}, path("a.log")), Error);
  SpawnOptions opt;
  opt.output = SpawnOptions::Output::kInherit;
  opt.held = true;
  ChildProcess c = ChildProcess::spawn({"/nonexistent/copylab-tool"}, opt);
  EXPECT_THROW(c.release(), Error);
  EXPECT_FALSE(c.running());
}

TEST_F(ChildProcessTest, MarksItsParentOnlyWhenAsked) {
  ::unsetenv("COPYLAB_PARENT");
  const std::string log = path("env.log");
  ChildProcess c = ChildProcess::start({"sh", "-c", "echo \"${COPYLAB_PARENT-unset}\""}, log);
  ASSERT_EQ(c.wait_for(seconds(10)), 0);
  const std::string marked = slurp(log);
  EXPECT_NE(marked, "unset\n");
  EXPECT_NE(marked.find("child_process_test"), std::string::npos) << marked;
  EXPECT_EQ(run_command({"sh", "-c", "echo \"${COPYLAB_PARENT-unset}\""}).out, "unset\n");
}

TEST_F(ChildProcessTest, RunCommandRunsInItsOwnProcessGroup) {
  // /proc/<pid>/stat: pid (comm) state ppid pgrp ...; sh's comm has no space.
  const CommandResult r = run_command({"sh", "-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat)"});
  ASSERT_TRUE(r.ok()) << r.err;
  std::istringstream in(r.out);
  pid_t pid = 0, pgrp = 0;
  in >> pid >> pgrp;
  EXPECT_EQ(pgrp, pid) << r.out;
  EXPECT_NE(pgrp, ::getpgrp());
}

TEST_F(ChildProcessTest, ReadyFileAppears) {
  const std::string ready = path("ready");
  ChildProcess c = ChildProcess::start({"sh", "-c", "touch \"$0\"; exec sleep 30", ready},
                                       path("ready.log"));
  EXPECT_NO_THROW(wait_for_ready_file(ready, c, seconds(20)));
  EXPECT_EQ(c.stop(), 128 + SIGTERM);
}

TEST_F(ChildProcessTest, ChildThatDiesBeforeReadyIsNamedWithItsLog) {
  const std::string log = path("dies.log");
  ChildProcess c = ChildProcess::start({"sh", "-c", "echo 'bad option --x' >&2; exit 2"}, log);
  try {
    wait_for_ready_file(path("never"), c, seconds(20));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string line = e.one_line();
    EXPECT_NE(line.find("sh -c echo"), std::string::npos) << line;
    EXPECT_NE(line.find("exited before it was ready: bad option --x"), std::string::npos) << line;
    EXPECT_NE(line.find(log), std::string::npos) << line;
  }
}

TEST_F(ChildProcessTest, ReadyFileDeadline) {
  const std::string log = path("slow.log");
  ChildProcess c = ChildProcess::start({"sleep", "30"}, log);
  try {
    wait_for_ready_file(path("never"), c, milliseconds(100));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string line = e.one_line();
    EXPECT_NE(line.find("sleep 30 was not ready after 100 ms"), std::string::npos) << line;
    EXPECT_NE(line.find(log), std::string::npos) << line;
  }
  EXPECT_TRUE(c.running());
}

// A stop request (Ctrl-C, SIGTERM to copylab) ends the child: SIGTERM, then SIGKILL after the
// grace for one that ignores SIGTERM. In a death test: the stop flag cannot be cleared.
TEST_F(ChildProcessTest, WaitOrStopEndsTheChildOnAStopRequest) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string ready = path("ready");
  // The shell says it is ready once its SIGTERM disposition is set (the ready-file handshake).
  // Runs in the death test's own process (which ends with _Exit, so it removes its files here).
  const auto stopped_with = [&](const std::string& script) {
    fs::remove(ready);
    ChildProcess c = ChildProcess::start(
        {"sh", "-c", script + "; touch \"$0\"; while :; do sleep 0.05; done", ready}, "/dev/null");
    wait_for_ready_file(ready, c, seconds(20));
    request_stop();
    int ticks = 0;
    const int rc = c.wait_or_stop(milliseconds(5), [&] { ++ticks; }, milliseconds(300));
    fs::remove_all(dir_);
    return ticks > 0 ? rc : -1;
  };
  EXPECT_EXIT(std::_Exit(stopped_with("trap - TERM") == 128 + SIGTERM ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(std::_Exit(stopped_with("trap '' TERM") == 128 + SIGKILL ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace copylab

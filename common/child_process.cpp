#include "common/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"

extern char** environ;

namespace copylab {

ChildProcess ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path) {
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw_errno("open log file", log_path, errno, "check the directory is writable");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // COPYLAB_PARENT tells a copylab tool it was started by another copylab program (so its
  // errors don't suggest options the user's command does not have). Built before fork: the
  // child may only make async-signal-safe calls until exec.
  std::vector<std::string> env_storage{"COPYLAB_PARENT=" + process_command_line(getpid(), 60)};
  std::vector<char*> cenv{env_storage.front().data()};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "COPYLAB_PARENT=", 15) != 0) cenv.push_back(*e);
  }
  cenv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(log_fd);
    throw_errno("fork", argv.front(), err);
  }
  if (pid == 0) {
    // Child: the harness's own stop handlers must not swallow a SIGTERM before exec, and the
    // child goes when its parent goes (even by SIGKILL).
    reset_stop_handlers_in_child();
    die_with_parent(parent);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execvpe(cargv[0], cargv.data(), cenv.data());
    dprintf(log_fd, "exec %s failed: %s\n", cargv[0], strerror(errno));
    _exit(127);
  }
  close(log_fd);
  ChildProcess child(pid, argv, log_path);
  child.owned_ = record_owned({{"kind", "process"},
                               {"pid", pid},
                               {"start_time", process_start_time(pid)},
                               {"cmd", child.command_line().substr(0, 120)}});
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(o.pid_), exit_code_(o.exit_code_), argv_(std::move(o.argv_)),
      log_path_(std::move(o.log_path_)), owned_(std::move(o.owned_)) {
  o.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0 && !exit_code_) stop();
    pid_ = o.pid_;
    exit_code_ = o.exit_code_;
    argv_ = std::move(o.argv_);
    log_path_ = std::move(o.log_path_);
    owned_ = std::move(o.owned_);
    o.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) stop();
}

bool ChildProcess::reap(bool block) {
  if (exit_code_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR && block);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    owned_.forget();
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    exit_code_ = -1;
    owned_.forget();
    return true;
  }
  return false;
}

bool ChildProcess::running() { return pid_ > 0 && !reap(false); }

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const std::uint64_t end = now_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
  while (!reap(false)) {
    if (now_ns() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return -1;
  if (!exit_code_) {
    kill(pid_, SIGTERM);
    if (!wait_for(grace)) {
      kill(pid_, SIGKILL);
      reap(true);
    }
  }
  return *exit_code_;
}

std::string ChildProcess::command_line() const {
  std::string s;
  for (const auto& a : argv_) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

std::string last_line_of(const std::string& path) {
  std::ifstream f(path);
  std::string line, last;
  while (std::getline(f, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  return last;
}

}  // namespace copylab

namespace copylab {
std::string self_bin_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.find_last_of('/'));
}
}  // namespace copylab

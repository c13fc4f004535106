#include "common/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>
#include <utility>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"

extern char** environ;

namespace copylab {
namespace {

// A pipe's two ends, closed unless handed over with take().
struct Pipe {
  int fd[2] = {-1, -1};
  explicit Pipe(const char* what) {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw_errno("pipe2", what, errno);
  }
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int take(int i) { return std::exchange(fd[i], -1); }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A descriptor closed when the scope ends.
struct ScopedFd {
  int fd = -1;
  ~ScopedFd() { close_fd(fd); }
};

}  // namespace

std::string CommandResult::last_error_line() const {
  const std::string& text = err.find_first_not_of(" \n\t") != std::string::npos ? err : out;
  std::size_t end = text.find_last_not_of(" \n\t");
  if (end == std::string::npos) return "exit code " + std::to_string(exit_code);
  const std::size_t begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const SpawnOptions& opt) {
  using Output = SpawnOptions::Output;
  if (argv.empty()) throw Error("no command to run", "give the program and its arguments");
  // Everything the child needs is made before fork: until exec it may only make
  // async-signal-safe calls.
  ScopedFd log;
  if (opt.output == Output::kLogFile) {
    log.fd = ::open(opt.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log.fd < 0) throw_errno("open log file", opt.log_path, errno, "check the directory is writable");
  }
  // With its output inherited, the child also reads the parent's stdin.
  ScopedFd devnull;
  if (opt.output != Output::kInherit) devnull.fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::optional<Pipe> out, err, gate;
  if (opt.output == Output::kCapture) {
    out.emplace("command output");
    err.emplace("command output");
  }
  if (opt.held) gate.emplace("command start gate");
  Pipe exec_status("exec status");

  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_storage;
  std::vector<char*> cenv;
  if (opt.mark_parent) {
    env_storage.push_back("COPYLAB_PARENT=" + process_command_line(getpid(), 60));
    cenv.push_back(env_storage.front().data());
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "COPYLAB_PARENT=", 15) != 0) cenv.push_back(*e);
    }
    cenv.push_back(nullptr);
  }
  char** const envp = opt.mark_parent ? cenv.data() : environ;
  const int stdout_fd = out ? out->fd[1] : log.fd;
  const int stderr_fd = err ? err->fd[1] : log.fd;
  const int stdin_fd = devnull.fd;

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", argv.front(), errno);
  if (pid == 0) {
    if (opt.own_process_group) ::setpgid(0, 0);
    // The parent's stop handlers only set a flag: a SIGTERM landing between here and exec would
    // be swallowed and the child would run on. Default dispositions until exec, and the child
    // goes when its parent goes (even by SIGKILL).
    reset_stop_handlers_in_child();
    die_with_parent(parent);
    if (opt.held) {
      ::close(gate->fd[1]);
      char go = 0;
      // EOF without a byte means the parent gave up: do not run the program.
      if (::read(gate->fd[0], &go, 1) != 1) ::_exit(126);
    }
    if (stdin_fd >= 0 && ::dup2(stdin_fd, STDIN_FILENO) < 0) ::_exit(127);
    if (stdout_fd >= 0 && (::dup2(stdout_fd, STDOUT_FILENO) < 0 || ::dup2(stderr_fd, STDERR_FILENO) < 0))
      ::_exit(127);
    ::execvpe(cargv[0], cargv.data(), envp);
    const int e = errno;
    (void)!::write(exec_status.fd[1], &e, sizeof(e));
    ::_exit(127);
  }
  ChildProcess child(pid, argv, opt.output == Output::kLogFile ? opt.log_path : std::string());
  if (opt.recorded) {
    child.owned_ = record_owned({{"kind", "process"},
                                 {"pid", pid},
                                 {"start_time", process_start_time(pid)},
                                 {"cmd", child.command_line().substr(0, 120)}});
  }
  exec_status.close_end(1);
  child.exec_status_fd_ = exec_status.take(0);
  if (out) {
    out->close_end(1);
    err->close_end(1);
    child.out_fd_ = out->take(0);
    child.err_fd_ = err->take(0);
  }
  if (gate) {
    gate->close_end(0);
    child.go_fd_ = gate->take(1);
  } else {
    child.check_exec();
  }
  return child;
}

ChildProcess ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path) {
  SpawnOptions opt;
  opt.log_path = log_path;
  return spawn(argv, opt);
}

void ChildProcess::check_exec() {
  int exec_errno = 0;
  ssize_t got;
  while ((got = ::read(exec_status_fd_, &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR) {
  }
  close_fd(exec_status_fd_);
  if (got == static_cast<ssize_t>(sizeof(exec_errno))) {
    reap(true);
    throw_errno("spawn", argv_.front(), exec_errno, "check that it is installed and in PATH");
  }
}

void ChildProcess::release() {
  if (go_fd_ < 0) return;
  const char go = 1;
  const bool sent = ::write(go_fd_, &go, 1) == 1;
  const int err = errno;
  close_fd(go_fd_);
  if (!sent) throw_errno("release", argv_.front(), err);
  check_exec();
}

void ChildProcess::close_fds() noexcept {
  close_fd(go_fd_);
  close_fd(exec_status_fd_);
  close_fd(out_fd_);
  close_fd(err_fd_);
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), exit_code_(o.exit_code_), argv_(std::move(o.argv_)),
      log_path_(std::move(o.log_path_)), go_fd_(std::exchange(o.go_fd_, -1)),
      exec_status_fd_(std::exchange(o.exec_status_fd_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)), err_fd_(std::exchange(o.err_fd_, -1)),
      owned_(std::move(o.owned_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    close_fd(go_fd_);
    if (pid_ > 0 && !exit_code_) stop();
    close_fds();
    pid_ = std::exchange(o.pid_, -1);
    exit_code_ = o.exit_code_;
    argv_ = std::move(o.argv_);
    log_path_ = std::move(o.log_path_);
    go_fd_ = std::exchange(o.go_fd_, -1);
    exec_status_fd_ = std::exchange(o.exec_status_fd_, -1);
    out_fd_ = std::exchange(o.out_fd_, -1);
    err_fd_ = std::exchange(o.err_fd_, -1);
    owned_ = std::move(o.owned_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  close_fd(go_fd_);  // a held child that was never released exits at once
  if (pid_ > 0 && !exit_code_) stop();
  close_fds();
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

int ChildProcess::wait_or_stop(std::chrono::milliseconds period, FunctionRef<void()> tick,
                               std::chrono::milliseconds grace) {
  std::optional<std::uint64_t> terminated_at;
  const auto grace_ns = static_cast<std::uint64_t>(grace.count()) * 1'000'000ULL;
  for (;;) {
    const std::optional<int> rc = wait_for(period);
    tick();
    if (rc) return *rc;
    if (stop_requested() && !terminated_at) {
      signal(SIGTERM);
      terminated_at = now_ns();
    }
    // A child that ignores SIGTERM gets SIGKILL: copylab must come back.
    if (terminated_at && now_ns() - *terminated_at > grace_ns) signal(SIGKILL);
  }
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

CommandResult ChildProcess::communicate() {
  CommandResult result;
  // poll both pipes until both reach EOF, so a chatty stderr cannot block stdout.
  std::array<pollfd, 2> fds{pollfd{out_fd_, POLLIN, 0}, pollfd{err_fd_, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  std::array<char, 4096> buf{};
  int open_count = 0;
  for (const pollfd& p : fds) open_count += p.fd >= 0;
  while (open_count > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll", "command output", errno);
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  close_fd(out_fd_);
  close_fd(err_fd_);
  reap(true);
  result.exit_code = *exit_code_;
  return result;
}

std::string ChildProcess::command_line() const {
  std::string s;
  for (const auto& a : argv_) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  SpawnOptions opt;
  opt.output = SpawnOptions::Output::kCapture;
  opt.own_process_group = true;
  opt.mark_parent = false;
  opt.recorded = false;
  return ChildProcess::spawn(argv, opt).communicate();
}

std::string last_line_of(const std::string& path) {
  std::ifstream f(path);
  std::string line, last;
  while (std::getline(f, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  return last;
}

std::string self_bin_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.find_last_of('/'));
}

}  // namespace copylab

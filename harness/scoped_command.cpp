#include "harness/scoped_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/stop.hpp"

namespace copylab::trace {

ScopedCommand::ScopedCommand(std::vector<std::string> argv) : argv_(std::move(argv)) {
  if (argv_.empty()) throw Error("no command given", "put the command after --", kExitUsage);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2", "command start gate", errno);
  std::vector<char*> cargv;
  for (std::string& a : argv_) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw_errno("fork", argv_.front(), err);
  }
  if (pid_ == 0) {
    // copylab's stop handlers only set a flag: a SIGTERM landing between here and exec would be
    // swallowed and the command would run on. Default dispositions until exec, and the command
    // goes when copylab goes (even by SIGKILL).
    reset_stop_handlers_in_child();
    die_with_parent(parent);
    ::close(fds[1]);
    char go = 0;
    // EOF without a byte means the parent gave up: do not run the command.
    if (::read(fds[0], &go, 1) != 1) ::_exit(126);
    ::close(fds[0]);
    ::execvp(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  go_fd_ = fds[1];
  owned_ = record_owned({{"kind", "process"},
                         {"pid", pid_},
                         {"start_time", process_start_time(pid_)},
                         {"cmd", argv_.front()}});
}

ScopedCommand::~ScopedCommand() {
  if (go_fd_ >= 0) ::close(go_fd_);
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void ScopedCommand::release() {
  const char go = 1;
  if (::write(go_fd_, &go, 1) != 1) throw_errno("release", argv_.front(), errno);
  ::close(go_fd_);
  go_fd_ = -1;
}

int ScopedCommand::wait() {
  bool terminated = false;
  std::chrono::steady_clock::time_point terminated_at;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      owned_.forget();
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return 1;
    }
    if (r < 0 && errno != EINTR) throw_errno("waitpid", argv_.front(), errno);
    if (stop_requested() && !terminated) {
      ::kill(pid_, SIGTERM);
      terminated = true;
      terminated_at = std::chrono::steady_clock::now();
    }
    // A command that ignores SIGTERM gets SIGKILL after 5 s: copylab must come back.
    if (terminated && std::chrono::steady_clock::now() - terminated_at > std::chrono::seconds(5))
      ::kill(pid_, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace copylab::trace

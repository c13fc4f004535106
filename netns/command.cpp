#include "netns/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "common/error.hpp"
#include "common/stop.hpp"

namespace copylab {
namespace {

// Owns a pipe's two ends until they are handed over or closed.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC) != 0) throw_errno("pipe2", "command output", errno);
  }
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_end(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
};

// Reads both pipes until both reach EOF (poll, so a chatty stderr cannot block stdout).
void drain(Pipe& out, Pipe& err, CommandResult& result) {
  std::array<pollfd, 2> fds{pollfd{out.fd[0], POLLIN, 0}, pollfd{err.fd[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  std::array<char, 4096> buf{};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll", "command output", errno);
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        sinks[i]->append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
}

}  // namespace

std::string CommandResult::last_error_line() const {
  const std::string& text = err.find_first_not_of(" \n\t") != std::string::npos ? err : out;
  std::size_t end = text.find_last_not_of(" \n\t");
  if (end == std::string::npos) return "exit code " + std::to_string(exit_code);
  const std::size_t begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

CommandResult run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) throw Error("run_command: empty argv");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  Pipe out;
  Pipe err;
  Pipe exec_status;  // close-on-exec: EOF means the exec worked, else the child sends its errno
  // fork + exec rather than posix_spawn: the child must also ask for a parent-death signal,
  // which posix_spawn cannot set.
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw_errno("fork", argv[0], errno);
  if (pid == 0) {
    // Own process group: a Ctrl-C at the terminal reaches copylab (which then unwinds and tears
    // down) but not a setup/teardown script halfway through its work.
    setpgid(0, 0);
    reset_stop_handlers_in_child();
    die_with_parent(parent);
    const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out.fd[1], STDOUT_FILENO) < 0 ||
        dup2(err.fd[1], STDERR_FILENO) < 0) {
      _exit(127);
    }
    execvp(args[0], args.data());
    const int e = errno;
    (void)!write(exec_status.fd[1], &e, sizeof(e));
    _exit(127);
  }
  out.close_end(1);
  err.close_end(1);
  exec_status.close_end(1);
  int exec_errno = 0;
  ssize_t got;
  while ((got = read(exec_status.fd[0], &exec_errno, sizeof(exec_errno))) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof(exec_errno))) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw_errno("spawn", argv[0], exec_errno, "check that it is installed and in PATH");
  }

  CommandResult result;
  drain(out, err, result);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid", argv[0], errno);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult run_in_netns(const std::string& ns, const std::vector<std::string>& argv) {
  std::vector<std::string> full{"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full);
}

}  // namespace copylab

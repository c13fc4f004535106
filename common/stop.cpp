#include "common/stop.hpp"

#include <atomic>
#include <csignal>

#include <sys/prctl.h>
#include <unistd.h>

namespace copylab {
namespace {
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig, std::memory_order_relaxed);
  g_stop.store(true, std::memory_order_release);
}
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking recv/poll return EINTR and the loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  // A closed stdout (`tool | head -1`) ends the run like Ctrl-C: the write fails with EPIPE, the
  // loop sees the flag, and every destructor runs (the default action would kill the process
  // with its namespaces, XDP programs and mounts still in place).
  sigaction(SIGPIPE, &sa, nullptr);
}

void reset_stop_handlers_in_child() noexcept {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(sig, SIG_DFL);
}

void die_with_parent(pid_t parent) noexcept {
  // PR_SET_PDEATHSIG survives execve (it is cleared only for set-user-ID/set-group-ID programs
  // and on credential changes, see prctl(2)); `ip netns exec` execs the tool in the same process,
  // so the tool itself gets the signal. The parent may have died before prctl ran: check.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(128 + SIGTERM);
}

bool stop_requested() noexcept { return g_stop.load(std::memory_order_acquire); }
int stop_signal() noexcept { return g_stop_signal.load(std::memory_order_relaxed); }

int stop_exit_code() noexcept {
  const int sig = stop_signal();
  return 128 + (sig != 0 ? sig : 2);
}

void request_stop() noexcept { g_stop.store(true, std::memory_order_release); }

}  // namespace copylab

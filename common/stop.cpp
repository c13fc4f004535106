#include "common/stop.hpp"

#include <atomic>
#include <csignal>

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
}

bool stop_requested() noexcept { return g_stop.load(std::memory_order_acquire); }
int stop_signal() noexcept { return g_stop_signal.load(std::memory_order_relaxed); }

int stop_exit_code() noexcept {
  const int sig = stop_signal();
  return 128 + (sig != 0 ? sig : 2);
}

void request_stop() noexcept { g_stop.store(true, std::memory_order_release); }

}  // namespace copylab

#include "common/ready_file.hpp"

#include <unistd.h>

#include <thread>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"

namespace copylab {

void wait_for_ready_file(const std::string& path, ChildProcess& child,
                         std::chrono::milliseconds timeout) {
  const bool logged = !child.log_path().empty();
  const std::uint64_t end = now_ns() + static_cast<std::uint64_t>(timeout.count()) * 1'000'000ULL;
  for (;;) {
    if (::access(path.c_str(), F_OK) == 0) return;
    if (!child.running()) {
      throw Error(child.command_line() + " exited before it was ready" +
                      (logged ? ": " + last_line_of(child.log_path()) : ""),
                  logged ? "fix the cause above (full log: " + child.log_path() + ")"
                         : "fix the cause in its output above");
    }
    if (stop_requested()) throw Error("interrupted", "", stop_exit_code());
    if (now_ns() >= end) {
      throw Error(child.command_line() + " was not ready after " +
                      std::to_string(timeout.count()) + " ms",
                  logged ? "see its log " + child.log_path() : "see its output above");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace copylab

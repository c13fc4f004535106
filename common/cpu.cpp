#include "common/cpu.hpp"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/error.hpp"

namespace copylab {

int online_cpu_count() { return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)); }

void pin_current_thread(int cpu) {
  if (cpu < 0) return;
  const int n = static_cast<int>(sysconf(_SC_NPROCESSORS_CONF));
  const std::string range = "0-" + std::to_string(n - 1);
  if (cpu >= n || cpu >= CPU_SETSIZE) {
    throw Error("CPU " + std::to_string(cpu) + " does not exist on this machine (CPUs " + range +
                    ")",
                "pick --cpu between 0 and " + std::to_string(n - 1), kExitUsage);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    throw_errno("sched_setaffinity", "CPU " + std::to_string(cpu), errno,
                "check that CPU " + std::to_string(cpu) +
                    " is online and allowed for this process (taskset -p $$)");
  }
}

}  // namespace copylab

#include "cli/sched_fifo.hpp"

#include <sched.h>

#include <cerrno>
#include <string>
#include <thread>

#include "cli/option_checks.hpp"
#include "common/error.hpp"

namespace copylab {

const char* const kSchedFifoHelp =
    "Run the forwarding loop as SCHED_FIFO at this priority (1-99, as chrt -f does) so busy "
    "tasks on its CPU cannot delay it while its ingress fills; needs a waiting --wait "
    "(0 = SCHED_OTHER)";

const char* const kReceiverSchedFifoHelp =
    "Run the receiving loop as SCHED_FIFO at this priority (1-99, as chrt -f does) so busy tasks "
    "on its CPU cannot delay it while its socket buffer or ring fills; needs a --wait that "
    "sleeps (0 = SCHED_OTHER)";

CLI::Option* add_sched_fifo_option(CLI::App& app, int& priority, const std::string& help) {
  return in_range(app.add_option("--sched-fifo", priority, help), 0, 99)->capture_default_str();
}

void check_sched_fifo(int priority, bool spins) {
  if (priority != 0 && spins) {
    throw Error("--sched-fifo " + std::to_string(priority) +
                    " with a --wait that spins: a spinning SCHED_FIFO thread keeps its CPU from "
                    "every other task there (ksoftirqd, a receiver) beyond the kernel's RT "
                    "throttling",
                "use --wait poll (or block) with --sched-fifo", kExitUsage);
  }
}

void apply_sched_fifo(int priority) {
  if (priority == 0) return;
  const sched_param p{priority};
  if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) {
    const int err = errno;
    throw_errno("sched_setscheduler(SCHED_FIFO, " + std::to_string(priority) + ")",
                "this process", err,
                err == EPERM ? "run as root (CAP_SYS_NICE) in a cgroup with an RT budget "
                               "(cpu.rt_runtime_us), or leave out --sched-fifo"
                             : "");
  }
}

void check_sched_fifo_allowed(int priority, const std::string& fix_option) {
  if (priority == 0) return;
  int err = 0;
  // The probe's thread alone changes policy (sched_setscheduler(0) acts on the calling thread).
  std::thread([&] {
    const sched_param p{priority};
    if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) err = errno;
  }).join();
  if (err != 0) {
    throw Error("--sched-fifo " + std::to_string(priority) +
                    ": the kernel refuses SCHED_FIFO here (sched_setscheduler: " + errno_text(err) +
                    ")",
                err == EPERM ? "run as root (CAP_SYS_NICE) in a cgroup with an RT budget "
                               "(cpu.rt_runtime_us), or give " + fix_option
                             : "give " + fix_option,
                kExitUnsupported);
  }
}

nlohmann::json sched_json() {
  const int policy = sched_getscheduler(0);
  sched_param p{};
  sched_getparam(0, &p);
  const char* name = policy == SCHED_FIFO    ? "SCHED_FIFO"
                     : policy == SCHED_RR    ? "SCHED_RR"
                     : policy == SCHED_OTHER ? "SCHED_OTHER"
                     : policy == SCHED_BATCH ? "SCHED_BATCH"
                     : policy == SCHED_IDLE  ? "SCHED_IDLE"
                                             : "other";
  return {{"policy", name}, {"priority", p.sched_priority}};
}

}  // namespace copylab

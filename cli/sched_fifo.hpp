// The middle box's real-time option (--sched-fifo PRIO, what `chrt -f PRIO` does): a forwarder
// that shares its CPU with busy SCHED_OTHER tasks waits for the CPU after every wakeup, and
// while it waits its ingress ring or socket buffer fills at the sender's rate; as SCHED_FIFO it
// runs as soon as poll(2) wakes it. Only with a waiting (poll/block) forwarder: a SCHED_FIFO
// thread that spins never gives its CPU to the CFS tasks there (ksoftirqd, a receiver) beyond
// the kernel's RT throttling remainder (sched_rt_runtime_us).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace copylab {

// The forwarder tools' and the receiver tools' help texts of --sched-fifo.
extern const char* const kSchedFifoHelp;
extern const char* const kReceiverSchedFifoHelp;

// --sched-fifo PRIO (1..99; 0: keep SCHED_OTHER), with `help` as its description; `priority`'s
// value is the default shown.
CLI::Option* add_sched_fifo_option(CLI::App& app, int& priority,
                                   const std::string& help = kSchedFifoHelp);

// Error (kExitUsage) when `priority` is set and the tool spins instead of waiting.
void check_sched_fifo(int priority, bool spins);

// Makes the calling thread SCHED_FIFO at `priority` (nothing for 0); Error naming the fix when
// the kernel refuses (EPERM: no CAP_SYS_NICE, or a cgroup without an RT budget).
void apply_sched_fifo(int priority);

// Error (kExitUnsupported, before anything is made) when the kernel would refuse apply_sched_fifo
// (`priority`), tried on a thread of its own; `fix_option` is the option that avoids it.
void check_sched_fifo_allowed(int priority, const std::string& fix_option);

// The calling thread's policy and priority as the kernel reports them (sched_getscheduler,
// sched_getparam): {"policy": "SCHED_FIFO"|"SCHED_OTHER"|..., "priority": N}.
nlohmann::json sched_json();

}  // namespace copylab

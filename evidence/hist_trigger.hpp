// The kernel's own stack-trace histogram: ftrace hist triggers
//   hist:keys=<stacktrace|common_stacktrace>:vals=len:sort=hitcount:pause
// on the path markers, switched on by `enable_hist` on sched:sched_process_exec and off by
// `disable_hist` on sched:sched_process_exit for the experiment's processes. Everything lives in a
// private tracefs instance (instances/copylab-<pid>-<n>), so it never touches the global buffer or
// anyone else's triggers; the session removes every trigger ("!" form: the switches first, then
// the hists) and the instance when it ends, on any exit path.
//
//   HistTriggerSession s(key, {"net:netif_receive_skb"}, {{"sock_sender", pid}});  // armed, paused
//   ... run the command ...
//   std::vector<HistTriggerOutput> out = s.read();  // before the session ends: removal frees it
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "evidence/hist_format.hpp"
#include "evidence/tracefs.hpp"

namespace copylab::trace {

// A process whose exec opens the histogram window and whose exit closes it.
struct TriggerProcess {
  std::string comm;  // as the kernel sets it at exec (comm_of(exe))
  pid_t pid = 0;     // its pid in the initial pid namespace; 0 = any process with that comm
};

// The comm the kernel gives a process that execs `exe`: the basename, cut to 15 characters.
std::string comm_of(const std::string& exe);

// The filter of the enable_hist/disable_hist triggers:
//   (comm == "a" && pid == 12) || comm == "b"
// Throws copylab::Error for an empty list or a comm the filter cannot quote.
std::string window_filter(const std::vector<TriggerProcess>& procs);

// True when copylab runs in the initial pid namespace, where its pids are the kernel's pids (the
// `pid` field of the sched events). Elsewhere the window can only be scoped by comm.
bool in_initial_pid_namespace();

// Whether this kernel takes hist triggers with a stack key, probed for real in a private instance
// (capabilities.hpp probe_hist_triggers): the key's name ("stacktrace" before 6.5,
// "common_stacktrace" from 6.5 on) or the kernel's refusal.
struct HistTriggerSupport {
  bool available = false;
  std::string stack_key;
  std::string reason;  // the probe's evidence
};
HistTriggerSupport probe_hist_trigger_support();

// The kernel's histogram of one event, read from the instance's hist file.
struct HistTriggerOutput {
  std::string event;      // "net:netif_receive_skb"
  std::string trigger;    // the hist trigger as written
  std::string hist_file;  // <instance>/events/<group>/<event>/hist (gone after the session)
  std::string raw;        // the file's text, as the kernel printed it
  StackHistogram histogram;        // parsed from `raw`
  std::int64_t hits_reported = -1; // the Totals' "Hits:" line
};

class HistTriggerSession {
 public:
  // Creates the instance and arms, for each event ("group:name"), a paused hist keyed by
  // `stack_key` (summing `len` where the event's format has that field) plus its enable_hist /
  // disable_hist switches filtered by window_filter(procs). Throws copylab::Error naming the
  // trigger, the errno and the kernel's error_log line when the kernel refuses one; whatever was
  // armed is removed again before the exception leaves.
  HistTriggerSession(const std::string& stack_key, const std::vector<std::string>& events,
                     const std::vector<TriggerProcess>& procs);
  HistTriggerSession(const HistTriggerSession&) = delete;
  HistTriggerSession& operator=(const HistTriggerSession&) = delete;
  ~HistTriggerSession();

  // Each event's hist file, in the order of the constructor's events.
  std::vector<HistTriggerOutput> read() const;

  const std::string& instance_path() const;
  // "instances/copylab-12-0: hist:keys=... on net:a, net:b; window: enable_hist on
  // sched:sched_process_exec / disable_hist on sched:sched_process_exit if <filter>"
  std::string describe() const;

 private:
  struct Armed {
    std::string event;
    std::string hist_file;
    std::unique_ptr<TracefsTrigger> hist;
  };
  // Declaration order is destruction order reversed: switches go before the hists they
  // switch, the hists before the instance, the instance before the mount.
  TracefsMount mount_;
  std::unique_ptr<TracefsInstance> instance_;
  std::vector<Armed> hists_;
  std::vector<std::unique_ptr<TracefsTrigger>> switches_;
  std::string filter_;
};

nlohmann::json to_json(const HistTriggerOutput& o);

// What `copylab hist` asks of the trigger for each run, and what one run got.
struct HistTriggerPlan {
  bool enabled = false;             // the probe accepted a stack key (and not --hist-trigger off)
  std::string stack_key;
  std::vector<std::string> events;  // "net:netif_receive_skb", ...
};
struct HistTriggerRun {
  bool used = false;
  std::string status;  // "armed in instances/..." or why not
  std::vector<HistTriggerOutput> outputs;
};

// Arms a session for `procs` when the plan says so. A refusal does not stop the run: it becomes
// run.status and the result is null (the BPF histogram goes on alone).
std::unique_ptr<HistTriggerSession> arm_hist_trigger(const HistTriggerPlan& plan,
                                                     const std::vector<TriggerProcess>& procs,
                                                     HistTriggerRun& run);
// Reads the session's hists into `run` and ends the session (every trigger and the instance go).
void finish_hist_trigger(std::unique_ptr<HistTriggerSession>& session, HistTriggerRun& run);

}  // namespace copylab::trace

#include "evidence/hist_trigger.hpp"

#include <sys/stat.h>

#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"
#include "evidence/capabilities.hpp"

namespace copylab::trace {
namespace {

// The initial pid namespace has a fixed inode number (PROC_PID_INIT_INO).
constexpr ino_t kInitPidNamespaceInode = 0xEFFFFFFCU;
// TASK_COMM_LEN - 1
constexpr std::size_t kCommChars = 15;

struct EventName {
  std::string group;
  std::string name;
};

EventName split_event(const std::string& event) {
  const auto colon = event.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == event.size())
    throw Error(fmt::format("hist trigger: '{}' is not a group:event name", event),
                "name events like net:netif_receive_skb", kExitUsage);
  return {event.substr(0, colon), event.substr(colon + 1)};
}

// True if the event's format file declares a field called `field`.
bool format_has_field(const std::string& format, const std::string& field) {
  std::istringstream in(format);
  std::string line;
  while (std::getline(in, line)) {
    const auto semi = line.find(';');
    if (line.find("field:") == std::string::npos || semi == std::string::npos) continue;
    const std::string decl = line.substr(0, semi);  // "\tfield:unsigned int len"
    const auto space = decl.find_last_of(" \t*");
    if (space != std::string::npos && decl.substr(space + 1) == field) return true;
  }
  return false;
}

// The kernel's reason for the last refused trigger, from the instance's error_log:
//   [  6.79] hist:net:netif_receive_skb: error: Couldn't find field
std::string last_error_log_line(const std::string& instance) {
  std::istringstream in(read_tracefs_file(instance + "/error_log"));
  std::string line, last;
  while (std::getline(in, line)) {
    const auto pos = line.find("error: ");
    if (pos != std::string::npos) last = line.substr(line.find(']') == std::string::npos
                                                         ? pos
                                                         : line.find(']') + 2);
  }
  return last;
}

}  // namespace

std::string comm_of(const std::string& exe) {
  const auto slash = exe.find_last_of('/');
  std::string base = slash == std::string::npos ? exe : exe.substr(slash + 1);
  if (base.size() > kCommChars) base.resize(kCommChars);
  return base;
}

std::string window_filter(const std::vector<TriggerProcess>& procs) {
  if (procs.empty())
    throw Error("hist trigger: no process to scope the histogram window to",
                "give the command (or --path) whose exec/exit opens and closes it", kExitUsage);
  std::string out;
  for (const TriggerProcess& p : procs) {
    if (p.comm.empty() || p.comm.find_first_of("\"\\") != std::string::npos)
      throw Error(fmt::format("hist trigger: comm '{}' cannot be used in a tracefs filter", p.comm),
                  "run a command whose name has no quote or backslash", kExitUsage);
    if (!out.empty()) out += " || ";
    if (p.pid > 0)
      out += fmt::format("(comm == \"{}\" && pid == {})", p.comm, p.pid);
    else
      out += fmt::format("comm == \"{}\"", p.comm);
  }
  return out;
}

bool in_initial_pid_namespace() {
  struct stat st {};
  return ::stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == kInitPidNamespaceInode;
}

HistTriggerSupport probe_hist_trigger_support() {
  HistTriggerSupport s;
  const Capability c = probe_hist_triggers(&s.stack_key);
  s.reason = c.evidence;
  s.available = c.ok && !s.stack_key.empty();
  return s;
}

HistTriggerSession::HistTriggerSession(const std::string& stack_key,
                                       const std::vector<std::string>& events,
                                       const std::vector<TriggerProcess>& procs)
    : mount_(TracefsMount::acquire()), filter_(window_filter(procs)) {
  if (events.empty())
    throw Error("hist trigger: no event to histogram", "name at least one event", kExitUsage);
  instance_ = std::make_unique<TracefsInstance>(mount_.path());
  const std::string& inst = instance_->path();
  auto refused = [&](const TracefsTrigger& t) {
    const std::string why = last_error_log_line(inst);
    return Error(fmt::format("hist trigger: writing '{}' to {} failed: {}{}", t.spec(), t.file(),
                             errno_text(t.err()), why.empty() ? "" : " (" + why + ")"),
                 "`copylab doctor` shows whether this kernel takes hist triggers",
                 kExitUnsupported);
  };

  // The hists first, paused: nothing is counted until a process of the window execs.
  for (const std::string& event : events) {
    const EventName ev = split_event(event);
    const std::string format = read_tracefs_file(instance_->event_file(ev.group, ev.name, "format"));
    if (format.empty())
      throw Error(fmt::format("hist trigger: event {} is not in this kernel ({} unreadable)", event,
                              instance_->event_file(ev.group, ev.name, "format")),
                  "leave this event out (--event)", kExitUnsupported);
    const std::string spec =
        fmt::format("hist:keys={}{}:sort=hitcount:pause", stack_key,
                    format_has_field(format, "len") ? ":vals=len" : "");
    Armed a{event, instance_->event_file(ev.group, ev.name, "hist"),
            std::make_unique<TracefsTrigger>(instance_->event_file(ev.group, ev.name, "trigger"),
                                             spec, TriggerRemoval::kExactSpec)};
    if (!a.hist->active()) throw refused(*a.hist);
    hists_.push_back(std::move(a));
  }
  // The switches: exec of a window process un-pauses the hist, its exit pauses it again.
  const std::string exec_trigger = instance_->event_file("sched", "sched_process_exec", "trigger");
  const std::string exit_trigger = instance_->event_file("sched", "sched_process_exit", "trigger");
  for (const Armed& a : hists_) {
    for (const auto& [file, verb] : {std::pair{exec_trigger, "enable_hist"},
                                     std::pair{exit_trigger, "disable_hist"}}) {
      auto t = std::make_unique<TracefsTrigger>(file,
                                                fmt::format("{}:{} if {}", verb, a.event, filter_));
      if (!t->active()) throw refused(*t);
      switches_.push_back(std::move(t));
    }
  }
  spdlog::debug("hist trigger armed: {}", describe());
}

HistTriggerSession::~HistTriggerSession() {
  // Explicitly in this order (the members would go the same way): switches, hists, instance.
  switches_.clear();
  hists_.clear();
  instance_.reset();
}

std::vector<HistTriggerOutput> HistTriggerSession::read() const {
  std::vector<HistTriggerOutput> out;
  for (const Armed& a : hists_) {
    HistTriggerOutput o;
    o.event = a.event;
    o.trigger = a.hist->spec();
    o.hist_file = a.hist_file;
    o.raw = read_tracefs_file(a.hist_file);
    o.histogram = parse_hist(o.raw, a.event, &o.hits_reported);
    o.histogram.scope = "window: " + filter_;
    out.push_back(std::move(o));
  }
  return out;
}

const std::string& HistTriggerSession::instance_path() const { return instance_->path(); }

std::string HistTriggerSession::describe() const {
  std::string hists;
  for (const Armed& a : hists_)
    hists += fmt::format("{}'{}' on {}", hists.empty() ? "" : ", ", a.hist->spec(), a.event);
  return fmt::format(
      "instances/{}: {}; window: enable_hist on sched:sched_process_exec, disable_hist on "
      "sched:sched_process_exit, if {}",
      instance_->name(), hists, filter_);
}

std::unique_ptr<HistTriggerSession> arm_hist_trigger(const HistTriggerPlan& plan,
                                                     const std::vector<TriggerProcess>& procs,
                                                     HistTriggerRun& run) {
  if (!plan.enabled) return nullptr;
  try {
    auto s = std::make_unique<HistTriggerSession>(plan.stack_key, plan.events, procs);
    run.used = true;
    run.status = "armed in " + s->describe();
    return s;
  } catch (const Error& e) {
    run.status = "not armed: " + std::string(e.what());
    return nullptr;
  }
}

void finish_hist_trigger(std::unique_ptr<HistTriggerSession>& session, HistTriggerRun& run) {
  if (!session) return;
  run.outputs = session->read();
  session.reset();
}

nlohmann::json to_json(const HistTriggerOutput& o) {
  nlohmann::json j = to_json(o.histogram);
  j["trigger"] = o.trigger;
  j["hits_reported"] = o.hits_reported;
  return j;
}

}  // namespace copylab::trace

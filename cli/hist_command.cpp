#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/hist_command.hpp"

#include "cli/option_checks.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "common/privilege.hpp"
#include "common/stop.hpp"
#include "evidence/cross_check.hpp"
#include "harness/hist_paths.hpp"
#include "evidence/hist_trigger.hpp"

namespace copylab {
namespace {

using namespace trace;

struct HistOptions {
  std::string path;                  // socket | xdp | both ("" with a command)
  std::vector<std::string> command;  // after --
  std::string event = "all";         // netif_receive_skb | net_dev_start_xmit | xdp_redirect | all
  std::string scope = "pids";        // pids | window
  std::string json_file;
  std::string out_dir;               // where the hist trigger's raw output goes
  std::string hist_trigger = "auto"; // auto | off
  std::uint64_t count = 2000;        // --path: datagrams per path
  bool ledger = false;
};

// The events copylab histograms, as "group:name".
const std::vector<std::string> kHistEvents = {"net:netif_receive_skb", "net:net_dev_start_xmit",
                                              "xdp:xdp_redirect"};

bool wanted(const HistOptions& o, const std::string& event) {
  return o.event == "all" || event.find(o.event) != std::string::npos;
}

std::vector<std::string> wanted_events(const HistOptions& o) {
  std::vector<std::string> out;
  for (const std::string& e : kHistEvents)
    if (wanted(o, e)) out.push_back(e);
  return out;
}

// Where the raw trigger output of run `tag` for `event` is saved: --out DIR, else next to
// --json (<json stem>.hist-trigger.<tag>.<event>.txt), else /tmp/copylab-hist-<pid>/.
std::string trigger_file_for(const HistOptions& o, const std::string& tag, const std::string& event) {
  namespace fs = std::filesystem;
  const std::string name = event.substr(event.find(':') + 1);
  fs::path dir;
  std::string stem;
  if (!o.out_dir.empty()) {
    dir = o.out_dir;
  } else if (!o.json_file.empty() && o.json_file != "-") {
    const fs::path json(o.json_file);
    dir = json.has_parent_path() ? json.parent_path() : fs::path(".");
    stem = json.stem().string() + ".";
  } else {
    dir = fmt::format("/tmp/copylab-hist-{}", ::getpid());
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw Error(fmt::format("cannot create {}: {}", dir.string(), ec.message()),
                "give a writable directory with --out", kExitUsage);
  return (dir / fmt::format("{}hist-trigger.{}.{}.txt", stem, tag, name)).string();
}

void save_text(const std::string& file, const std::string& text) {
  std::ofstream out(file);
  if (!out || !(out << text)) throw_errno("write", file, errno, "give a writable --out directory");
}

// The hit total the kernel printed (Totals: Hits), else the entries' sum.
std::uint64_t trigger_hits(const HistTriggerOutput& t) {
  return t.hits_reported >= 0 ? static_cast<std::uint64_t>(t.hits_reported)
                              : t.histogram.total_hits();
}

// cross_check's own line about the trigger predates this command's use of it: say what ran.
void set_trigger_backend(CrossCheckResult& r, const HistTriggerRun& t) {
  for (BackendStatus& b : r.backends)
    if (b.name == "tracefs hist trigger") {
      b.active = t.used;
      b.detail = t.status;
    }
}

// The kernel's histogram of the same event, after copylab's BPF one: its raw text (saved to a
// file), then the hitcount agreement, in total and stack by stack (ftrace cuts stacks at 16
// frames: a kernel stack matches the BPF entries that contain it). Appends to the run's JSON.
void print_trigger_output(const HistOptions& o, const std::string& tag, const StackHistogram& h,
                          const HistTriggerOutput& t, bool print_raw, nlohmann::json& kernel,
                          nlohmann::json& agreement) {
  const std::string saved = trigger_file_for(o, tag, t.event);
  save_text(saved, t.raw);
  if (print_raw)
    std::cout << fmt::format("## {}: the kernel's own hist trigger ('{}', raw output saved to {})\n",
                             h.event, t.trigger, saved)
              << t.raw << '\n';
  const std::uint64_t bpf = h.total_hits(), kern = trigger_hits(t);
  std::cout << fmt::format("# hitcount agreement at {}: BPF {}, tracefs hist trigger {}: {}\n",
                           h.event, bpf, kern,
                           bpf == kern ? std::string("equal")
                                       : fmt::format("differ by {} (BPF scope: {}; trigger: {})",
                                                     bpf > kern ? bpf - kern : kern - bpf, h.scope,
                                                     t.histogram.scope));
  std::size_t same = 0;
  for (const HistEntry& e : t.histogram.entries) {
    const std::uint64_t in_bpf = hits_with_stack(h, e.frames);
    if (in_bpf == e.hitcount) ++same;
    std::cout << fmt::format("#   stack {} ... {} ({} frames): trigger {}, BPF {}: {}\n",
                             e.frames.empty() ? "?" : frame_function(e.frames.front()),
                             e.frames.empty() ? "?" : frame_function(e.frames.back()),
                             e.frames.size(), e.hitcount, in_bpf,
                             in_bpf == e.hitcount ? "equal" : "differ");
  }
  std::cout << '\n';
  nlohmann::json tj = to_json(t);
  tj["saved_to"] = saved;
  kernel.push_back(std::move(tj));
  agreement.push_back({{"event", h.event},
                       {"bpf_hits", bpf},
                       {"trigger_hits", kern},
                       {"equal", bpf == kern},
                       {"stacks", t.histogram.entries.size()},
                       {"stacks_equal", same}});
}

void print_result(const HistOptions& o, const std::string& title, const std::string& tag,
                  CrossCheckResult r, const HistTriggerRun& trigger, nlohmann::json& json) {
  set_trigger_backend(r, trigger);
  std::cout << "### " << title << "\n";
  for (const BackendStatus& b : r.backends) {
    if (b.name.find("hist") != std::string::npos && b.name != "tracefs hist trigger")
      std::cout << fmt::format("# {}: {}\n", b.name, b.active ? "used" : b.detail);
  }
  // (An unavailable trigger was said once, before the runs.)
  if (trigger.used || trigger.status.rfind("not armed", 0) == 0)
    std::cout << "# tracefs hist trigger: " << trigger.status << "\n";
  std::cout << '\n';
  nlohmann::json hists = nlohmann::json::array();
  nlohmann::json kernel = nlohmann::json::array();
  nlohmann::json agreement = nlohmann::json::array();
  for (const StackHistogram& h : r.histograms) {
    if (!wanted(o, h.event)) continue;
    const HistTriggerOutput* t = nullptr;
    for (const HistTriggerOutput& out : trigger.outputs)
      if (out.event == h.event) t = &out;
    // With every event shown, empty ones get one line instead of two empty histograms.
    const bool brief = o.event == "all" && h.entries.empty() && (!t || trigger_hits(*t) == 0);
    if (brief)
      std::cout << fmt::format("# {}: no events in scope{}\n", h.event,
                               t ? " (BPF and tracefs hist trigger)" : "\n");
    else
      std::cout << "## " << h.event << ": copylab's BPF histogram\n" << format_hist(h) << '\n';
    hists.push_back(to_json(h));
    if (t) print_trigger_output(o, tag, h, *t, !brief, kernel, agreement);
  }
  if (o.ledger) std::cout << format_ledger(r.ledger) << '\n';
  json.push_back({{"run", title},
                  {"histograms", std::move(hists)},
                  {"hist_trigger",
                   {{"used", trigger.used},
                    {"status", trigger.status},
                    {"histograms", std::move(kernel)},
                    {"agreement", std::move(agreement)}}},
                  {"cross_check", to_json(r)}});
}

// Probes the trigger once per command; says in one line when it cannot be used.
HistTriggerPlan plan_hist_trigger(const HistOptions& o, std::string* unavailable) {
  HistTriggerPlan plan;
  plan.events = wanted_events(o);
  if (o.hist_trigger == "off") {
    *unavailable = "off (--hist-trigger off)";
    return plan;
  }
  const HistTriggerSupport s = probe_hist_trigger_support();
  if (!s.available) {
    *unavailable = "unavailable (" + s.reason + ")";
    return plan;
  }
  plan.enabled = true;
  plan.stack_key = s.stack_key;
  return plan;
}

// What execvp(3) would run for `name`: a path as given, else the first PATH entry holding an
// executable file of that name. Throws Error (127 not found, 126 not executable), as a shell
// would, before anything is traced.
void require_runnable(const std::string& name) {
  namespace fs = std::filesystem;
  const auto runnable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (runnable(name)) return;
    std::error_code ec;
    const bool exists = fs::exists(name, ec);
    throw Error("the command to trace, " + name + ", " +
                    (exists ? "is not an executable file" : "does not exist") + " (" +
                    errno_text(exists ? EACCES : ENOENT) + ")",
                "give a program that exists and is executable after --", exists ? 126 : 127);
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = dirs.substr(start, end - start);
    if (runnable(fs::path(dir.empty() ? "." : dir) / name)) return;
    start = end + 1;
  }
  throw Error("the command to trace, " + name + ", is not found in PATH (" + errno_text(ENOENT) + ")",
              "give its full path or install it", 127);
}

// hist loads BPF programs on tracepoints, and with --path builds namespaces: as root only.
void require_hist_privileges(const HistOptions& o) {
  const bool ok = has_capability(Privilege::kBpf) && has_capability(Privilege::kPerfmon) &&
                  (o.path.empty() || (has_capability(Privilege::kNetAdmin) &&
                                      has_capability(Privilege::kSysAdmin)));
  if (!ok) {
    throw Error("copylab hist needs root: it loads BPF programs on kernel tracepoints" +
                    std::string(o.path.empty() ? "" : " and builds network namespaces"),
                "run copylab hist as root (sudo copylab hist ...)");
  }
}

int run_hist_command(const HistOptions& o) {
  if (!o.command.empty()) require_runnable(o.command.front());
  require_hist_privileges(o);
  nlohmann::json json = nlohmann::json::array();
  CrossCheckOptions cco;
  cco.sampling = false;  // hist: stacks only
  std::string unavailable;
  const HistTriggerPlan plan = plan_hist_trigger(o, &unavailable);
  if (!plan.enabled) std::cout << "tracefs hist trigger: " << unavailable << "\n\n";
  int rc = 0;
  if (!o.command.empty()) {
    ChildProcess cmd = start_traced(o.command);
    ScopeSpec scope;
    if (o.scope == "pids") scope.pids.push_back(cmd.pid());
    CrossCheck cc(cco);
    cc.start(scope);
    HistTriggerRun trigger;
    if (!plan.enabled) trigger.status = unavailable;
    // The window opens when the command execs and closes when it exits (its pid, where copylab
    // sees the kernel's pids; its comm alone otherwise).
    std::unique_ptr<HistTriggerSession> session = arm_hist_trigger(
        plan, {{comm_of(o.command.front()), in_initial_pid_namespace() ? cmd.pid() : 0}}, trigger);
    cmd.release();
    rc = wait_traced(cmd);
    CrossCheckResult r = cc.stop();
    finish_hist_trigger(session, trigger);
    print_result(o,
                 fmt::format("{} (exit {}; scope: {})", fmt::join(o.command, " "), rc,
                             o.scope == "pids" ? "its process tree"
                                               : "every event while it ran (window)"),
                 "command", std::move(r), trigger, json);
  } else {
    const std::vector<std::string> paths =
        o.path == "both" ? std::vector<std::string>{"socket", "xdp"}
                         : std::vector<std::string>{o.path};
    for (const std::string& p : paths) {
      HistPathRun run = run_hist_path(p, o.count, cco, plan);
      if (!plan.enabled) run.trigger.status = unavailable;
      print_result(o, run.title, p, std::move(run.result), run.trigger, json);
    }
  }
  write_json_result(o.json_file, json.dump(2) + '\n', "hist");
  if (stop_requested()) return 128 + stop_signal();
  return rc;
}

}  // namespace

CLI::App* register_hist_command(CLI::App& app, CommonOptions& common) {
  auto opts = std::make_shared<HistOptions>();
  CLI::App* sub = app.add_subcommand(
      "hist",
      "Kernel stack-trace histograms at net:netif_receive_skb, net:net_dev_start_xmit and "
      "xdp:xdp_redirect, in ftrace hist format, scoped to a command (`-- CMD...`) or to copylab's "
      "own socket/AF_XDP traffic (--path); where the kernel has hist triggers, the kernel's own "
      "histograms (enable_hist/disable_hist on the processes' exec/exit) alongside, "
      "with their raw output saved and their hitcounts compared");
  sub->add_option("--path", opts->path,
                  "Run copylab's own traffic in temporary namespaces: socket, xdp or both")
      ->check(CLI::IsMember({"socket", "xdp", "both"}));
  sub->add_option("--event", opts->event,
                  "Which histogram to print: netif_receive_skb, net_dev_start_xmit, xdp_redirect "
                  "or all (default all)")
      ->check(CLI::IsMember({"netif_receive_skb", "net_dev_start_xmit", "xdp_redirect", "all"}));
  sub->add_option("--scope", opts->scope,
                  "With a command: pids = events in its process tree (default); window = every "
                  "event while it runs (enable_hist/disable_hist triggers)")
      ->check(CLI::IsMember({"pids", "window"}));
  in_range<std::uint64_t>(sub->add_option("--count", opts->count, "--path: datagrams per path (default 2000)"),
                          1, kMaxCount);
  sub->add_option("--hist-trigger", opts->hist_trigger,
                  "auto (default): also arm the kernel's own ftrace hist triggers where the kernel "
                  "has them, in a private tracefs instance; off: BPF histograms only")
      ->check(CLI::IsMember({"auto", "off"}));
  output_dir(sub->add_option("--out", opts->out_dir,
                  "Directory for the hist triggers' raw output (default: next to the --json file, else "
                  "/tmp/copylab-hist-<pid>)"))
      ->type_name("<dir>");
  sub->add_flag("--ledger", opts->ledger, "Also print the copy ledger of the run");
  sub->add_option("command", opts->command, "The command to trace (after --)");
  sub->callback([opts, &common] {
    if (opts->command.empty() == opts->path.empty())
      throw CLI::ValidationError("hist", "give either --path socket|xdp|both or a command after --");
    opts->json_file = common.json_file;
    finish_command(run_hist_command(*opts));
  });
  return sub;
}

}  // namespace copylab

#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "trace/hist_command.hpp"

#include "common/error.hpp"
#include "common/stop.hpp"
#include "trace/cross_check.hpp"
#include "trace/hist_paths.hpp"
#include "trace/scoped_command.hpp"

namespace copylab {
namespace {

using namespace trace;

struct HistOptions {
  std::string path;                  // socket | xdp | both ("" with a command)
  std::vector<std::string> command;  // after --
  std::string event = "all";         // netif_receive_skb | net_dev_start_xmit | xdp_redirect | all
  std::string scope = "pids";        // pids | window
  std::string json_file;
  std::uint64_t count = 2000;        // --path: datagrams per path
  bool ledger = false;
};

bool wanted(const HistOptions& o, const StackHistogram& h) {
  if (o.event == "all") return true;
  return h.event.find(o.event) != std::string::npos;
}

void print_result(const HistOptions& o, const std::string& title, const CrossCheckResult& r,
                  nlohmann::json& json) {
  std::cout << "### " << title << "\n";
  for (const BackendStatus& b : r.backends) {
    if (b.name.find("hist") != std::string::npos)
      std::cout << fmt::format("# {}: {}\n", b.name, b.active ? "used" : b.detail);
  }
  nlohmann::json hists = nlohmann::json::array();
  for (const StackHistogram& h : r.histograms) {
    if (!wanted(o, h)) continue;
    if (o.event == "all" && h.entries.empty()) {
      std::cout << fmt::format("# {}: no events in scope\n\n", h.event);
      continue;
    }
    std::cout << format_hist(h) << '\n';
    hists.push_back(to_json(h));
  }
  if (o.ledger) std::cout << format_ledger(r.ledger) << '\n';
  json.push_back({{"run", title}, {"histograms", std::move(hists)}, {"cross_check", to_json(r)}});
}

int run_hist_command(const HistOptions& o) {
  nlohmann::json json = nlohmann::json::array();
  CrossCheckOptions cco;
  cco.sampling = false;  // hist: stacks only
  int rc = 0;
  if (!o.command.empty()) {
    ScopedCommand cmd(o.command);
    ScopeSpec scope;
    if (o.scope == "pids") scope.pids.push_back(cmd.pid());
    CrossCheck cc(cco);
    cc.start(scope);
    cmd.release();
    rc = cmd.wait();
    CrossCheckResult r = cc.stop();
    print_result(o, fmt::format("{} (exit {}; scope: {})", fmt::join(o.command, " "), rc,
                                o.scope == "pids" ? "its process tree"
                                                  : "every event while it ran (window)"),
                 r, json);
  } else {
    const std::vector<std::string> paths =
        o.path == "both" ? std::vector<std::string>{"socket", "xdp"}
                         : std::vector<std::string>{o.path};
    for (const std::string& p : paths) {
      HistPathRun run = run_hist_path(p, o.count, cco);
      print_result(o, run.title, run.result, json);
    }
  }
  if (!o.json_file.empty()) {
    std::ofstream out(o.json_file);
    if (!out) throw_errno("open", o.json_file, errno, "give a writable --json path");
    out << json.dump(2) << '\n';
  }
  if (stop_requested()) return 128 + stop_signal();
  return rc;
}

}  // namespace

void register_hist_command(CLI::App& app, CommonOptions& common) {
  auto opts = std::make_shared<HistOptions>();
  CLI::App* sub = app.add_subcommand(
      "hist",
      "Kernel stack-trace histograms at net:netif_receive_skb, net:net_dev_start_xmit and "
      "xdp:xdp_redirect, in ftrace hist format, scoped to a command (`-- CMD...`) or to copylab's "
      "own socket/AF_XDP traffic (--path)");
  add_common_options(*sub, common);
  sub->add_option("--path", opts->path,
                  "Run copylab's own traffic in temporary namespaces: socket, xdp or both")
      ->check(CLI::IsMember({"socket", "xdp", "both"}));
  sub->add_option("--event", opts->event,
                  "Which histogram to print: netif_receive_skb, net_dev_start_xmit, xdp_redirect "
                  "or all (default all)")
      ->check(CLI::IsMember({"netif_receive_skb", "net_dev_start_xmit", "xdp_redirect", "all"}));
  sub->add_option("--scope", opts->scope,
                  "With a command: pids = events in its process tree (default); window = every "
                  "event while it runs (the seeds' enable_hist/disable_hist)")
      ->check(CLI::IsMember({"pids", "window"}));
  sub->add_option("--count", opts->count, "--path: datagrams per path (default 2000)");
  sub->add_option("--json", opts->json_file, "Also write everything as JSON to this file")
      ->type_name("<file>");
  sub->add_flag("--ledger", opts->ledger, "Also print the copy ledger of the run");
  sub->add_option("command", opts->command, "The command to trace (after --)");
  sub->callback([opts] {
    if (opts->command.empty() == opts->path.empty())
      throw CLI::ValidationError("hist", "give either --path socket|xdp|both or a command after --");
    finish_command(run_hist_command(*opts));
  });
}

}  // namespace copylab

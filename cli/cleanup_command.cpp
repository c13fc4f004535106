#include "cli/cleanup_command.hpp"

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/privilege.hpp"
#include "common/run_registry.hpp"
#include "common/stale_state.hpp"

namespace copylab {
namespace {

struct CleanupOptions {
  bool dry_run = false;
};

// Exit codes: 0 nothing stale is left, 1 something could not be removed (each named).
int run_cleanup(const CleanupOptions& o, const CommonOptions& common) {
  require_capability(Privilege::kSysAdmin, "remove namespaces, XDP programs and mounts");
  const std::vector<StaleRunReport> reports = reclaim_stale_runs(o.dry_run);
  std::size_t removed = 0;
  std::size_t kept = 0;
  for (const StaleRunReport& r : reports) {
    std::cout << (o.dry_run ? "would reclaim " : "reclaimed ") << r.summary() << '\n';
    removed += r.removed.size();
    kept += r.kept.size();
  }
  if (reports.empty()) {
    std::cout << "cleanup: no stale copylab state (records in " << run_state_dir() << ")\n";
  } else {
    std::cout << "cleanup: " << (o.dry_run ? "would remove " : "removed ") << removed
              << " item(s) of " << reports.size() << " stale run(s)";
    if (kept != 0) std::cout << "; " << kept << " could not be removed (named above)";
    std::cout << '\n';
  }
  nlohmann::json runs = nlohmann::json::array();
  for (const StaleRunReport& r : reports) {
    runs.push_back({{"pid", r.pid}, {"cmd", r.cmd}, {"removed", r.removed}, {"kept", r.kept}});
  }
  write_json_result(common.json_file,
                    nlohmann::json{{"tool", "copylab cleanup"}, {"dry_run", o.dry_run}, {"runs", runs}}
                            .dump(2) +
                        '\n',
                    "cleanup");
  return !o.dry_run && kept != 0 ? 1 : 0;
}

}  // namespace

CLI::App* register_cleanup_command(CLI::App& app, CommonOptions& common) {
  auto opts = std::make_shared<CleanupOptions>();
  CLI::App* cmd = app.add_subcommand(
      "cleanup",
      "Remove what copylab runs that are gone (killed, crashed) left behind: their namespaces, "
      "XDP programs, mounts, tracefs instances, work directories and child tools. Runs still "
      "going and anything copylab did not make are left alone");
  cmd->add_flag("--dry-run", opts->dry_run, "Only list what would be removed");
  cmd->callback([opts, &common] { finish_command(run_cleanup(*opts, common)); });
  return cmd;
}

}  // namespace copylab

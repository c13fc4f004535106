// copylab: the experiments as subcommands (compare, latency, hist, doctor, lab).
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "cli/cleanup_command.hpp"
#include "harness/compare_caveats.hpp"
#include "cli/compare_command.hpp"
#include "cli/subcommands.hpp"

namespace {

std::vector<const CLI::App*> subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

// The subcommands, "compare, latency, ..." (for the error naming an unknown one).
std::string subcommand_list(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : subcommands(app)) {
    if (!out.empty()) out += ", ";
    out += sub->get_name();
  }
  return out;
}

bool is_subcommand(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : subcommands(app)) {
    if (sub->check_name(word)) return true;
  }
  return false;
}

// The first word that is not an option: the subcommand the user meant (copylab's own options
// -v/--version/--help take no value).
const char* first_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') return argv[i];
    if (std::string(argv[i]) == "--") return i + 1 < argc ? argv[i + 1] : nullptr;
  }
  return nullptr;
}

bool asks_for_help_or_version(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "--version") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "copylab: which data copies disappear (or move) when UDP goes from the socket path to "
      "AF_XDP, proven with evidence gathered in the kernel, and what that buys in latency and "
      "throughput",
      "copylab");
  copylab::CommonOptions common;
  copylab::add_common_options(app, common);
  copylab::register_compare_command(app, common);
  copylab::register_component_commands(app, common);
  copylab::register_cleanup_command(app, common);
  app.footer(copylab::kExitCodesFooter);
  app.require_subcommand(1);
  const char* word = first_word(argc, argv);
  if (word == nullptr && !asks_for_help_or_version(argc, argv)) {
    std::cout << app.help();
    std::cerr << "copylab: error: no subcommand given. Fix: run one of "
              << subcommand_list(app) << " (copylab <subcommand> --help)\n";
    return 2;
  }
  if (word != nullptr && !is_subcommand(app, word)) {
    std::cerr << "copylab: error: unknown subcommand '" << word << "'. Fix: use one of "
              << subcommand_list(app) << " (see copylab --help)\n";
    return 2;
  }
  return copylab::run_main(app, argc, argv, common, {});
}

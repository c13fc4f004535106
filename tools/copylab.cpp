// copylab: the experiments as subcommands (compare, latency, hist, doctor, lab).
#include <CLI/CLI.hpp>

#include "common/cli.hpp"
#include "tools/cleanup_command.hpp"
#include "tools/compare_command.hpp"
#include "tools/subcommands.hpp"

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
  app.require_subcommand(1);
  return copylab::run_main(app, argc, argv, common, {});
}

// `copylab_trace doctor|hist ...`: the trace subcommands without the rest of copylab (tests use
// it; `copylab doctor` / `copylab hist` are the same commands).
#include "common/cli.hpp"
#include "trace/doctor_command.hpp"
#include "trace/hist_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"copylab in-kernel cross-check tools (doctor, hist)", "copylab_trace"};
  copylab::CommonOptions common;
  copylab::add_common_options(app, common);
  copylab::register_doctor_command(app, common);
  copylab::register_hist_command(app, common);
  app.require_subcommand(1);
  return copylab::run_main(app, argc, argv, common, {});
}

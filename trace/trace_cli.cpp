// `copylab_trace doctor|hist ...`: the trace subcommands without the rest of copylab.
#include "common/cli.hpp"
#include "trace/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"copylab in-kernel cross-check tools (doctor, hist)", "copylab_trace"};
  copylab::CommonOptions common;
  copylab::add_common_options(app, common);
  copylab::trace::register_doctor_command(app, common);
  copylab::trace::register_hist_command(app, common);
  app.require_subcommand(1);
  return copylab::run_main(app, argc, argv, common, [] {
    auto body = copylab::trace::selected_command();
    return body ? body() : 2;
  });
}

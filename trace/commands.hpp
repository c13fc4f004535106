// The trace folder's `copylab` subcommands. Register them on the copylab app; CLI11 runs a
// subcommand's callback while parsing, before run_main has set up logging and the stop handlers,
// so the callbacks only *select* a body, and copylab's main runs it afterwards:
//
//   trace::register_doctor_command(app, common);
//   trace::register_hist_command(app, common);
//   return run_main(app, argc, argv, common, [&] {
//     if (auto body = trace::selected_command()) return body();
//     ...
//   });
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "common/cli.hpp"

namespace copylab::trace {

// `copylab doctor [--dev IF] [--netns NS] [--json]`
void register_doctor_command(CLI::App& app, CommonOptions& common);
// `copylab hist [--path socket|xdp|both] [--event E] [--scope pids|window] [--json FILE] [-- CMD...]`
void register_hist_command(CLI::App& app, CommonOptions& common);

// The body of the trace subcommand chosen on the command line; empty if none was.
std::function<int()> selected_command();

namespace detail {
void select_command(std::function<int()> body);
}

}  // namespace copylab::trace

// Every copylab subcommand, registered in one place: each gets the common options
// (cli/common_options.hpp) and a one-line summary for `copylab --help`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"

namespace copylab {

// Builds `copylab`'s command line into `app` (help format, common options, every subcommand),
// all bound to `common`.
void register_subcommands(CLI::App& app, CommonOptions& common);

// copylab's main(): no arguments → usage on stdout and exit 2; an unknown subcommand → one line
// naming the known ones, exit 2; otherwise run_main.
int copylab_main(int argc, char** argv);

}  // namespace copylab

#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"

namespace copylab {

// `copylab compare`: both paths under identical traffic, cross-checked, one report. Adds the
// subcommand to `app` and returns it; its --json writes to common.json_file.
CLI::App* register_compare_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

#pragma once

#include <CLI/CLI.hpp>

#include "common/cli.hpp"

namespace copylab {

// `copylab compare`: both paths under identical traffic, cross-checked, one report.
void register_compare_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

// The subcommands besides compare and cleanup: doctor, hist, latency and lab.
#pragma once

#include <CLI/CLI.hpp>

#include "common/cli.hpp"

namespace copylab {

void register_component_commands(CLI::App& app, CommonOptions& common);

}  // namespace copylab

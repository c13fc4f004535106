// `copylab doctor [--dev IF] [--netns NS] [--json] [--no-device]`: what this kernel allows
// (each capability probed for real) and which cross-check backends follow.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"

namespace copylab {

// Adds the subcommand to `app` and returns it (the registry adds the common options).
CLI::App* register_doctor_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

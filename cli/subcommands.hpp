// Subcommands contributed by other components (trace/: doctor, hist; latency/: latency;
// kmod/: lab), registered only when those components are built in.
#pragma once

#include <CLI/CLI.hpp>

#include "common/cli.hpp"

namespace copylab {

void register_component_commands(CLI::App& app, CommonOptions& common);

}  // namespace copylab

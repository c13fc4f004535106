// `copylab latency`: HFT-style ping-pong experiments (modes × sizes × rates × repetitions),
// with a terminal table, JSON, plots/HTML and an optional sockperf cross-check.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"
#include "latency/options.hpp"

namespace copylab {

// Adds the subcommand to `app` and returns it (the registry adds the common options).
CLI::App* register_latency_command(CLI::App& app, CommonOptions& common);

// The command's body (also used by tests): returns the exit code, throws Error on bad input.
int run_latency(const LatencyOptions& opts);

// The modes table for --list-modes.
std::string list_modes_text();

}  // namespace copylab

// `copylab lab`: runs the kernel lab (kmod/lab/run.sh: Debian's stock 6.1 kernel under qemu with
// copylab's kprobe module, hist triggers and copylab's own tools) and prints the guest's report.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"

namespace copylab {

// Adds the subcommand to `app` and returns it (the registry adds the common options).
CLI::App* register_lab_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

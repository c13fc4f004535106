// `copylab cleanup`: removes the state of copylab runs that are gone (namespaces, XDP programs,
// mounts, tracefs instances, work directories, orphaned child tools) from their run records, and
// nothing copylab did not make. --dry-run lists what it would remove.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"

namespace copylab {

// Adds the subcommand to `app` and returns it (the registry adds the common options).
CLI::App* register_cleanup_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

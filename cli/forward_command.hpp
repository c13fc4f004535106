#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"

namespace copylab {

// `copylab forward`: compare's identical-traffic experiment for a middle box M (A -> M -> B): the
// socket relay against the shared-UMEM AF_XDP forwarder (native and generic), paced then unpaced,
// with the cross-check scoped to M. Adds the subcommand to `app`; --json writes common.json_file.
CLI::App* register_forward_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

// What every copylab program shares on its command line (-v/-vv, --version) and how its main()
// turns an Error into one line on stderr and an exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace copylab {

struct CommonOptions {
  int verbosity = 0;
};

// Adds -v (repeatable) and --version (prints copylab, libbpf and libxdp versions).
void add_common_options(CLI::App& app, CommonOptions& opts);

// Parses argv, sets up logging and stop handlers, runs `body`, maps errors to exit codes:
// CLI11 usage errors and copylab::Error with kExitUsage → 2, other Errors → their code.
int run_main(CLI::App& app, int argc, char** argv, const CommonOptions& opts,
             const std::function<int()>& body);

std::string version_string();

}  // namespace copylab

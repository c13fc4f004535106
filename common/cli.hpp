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

// Sets up logging (-v counted before parsing, so subcommand callbacks log at the right level)
// and stop handlers, parses argv (subcommand callbacks run here), then runs `body` if given.
// Maps errors to exit codes: usage errors → 2, copylab::Error → its code, one line on stderr.
int run_main(CLI::App& app, int argc, char** argv, const CommonOptions& opts,
             const std::function<int()>& body);

// For subcommand callbacks, which cannot return a value: a non-zero exit code ends the program
// with that code (run_main returns it).
void finish_command(int exit_code);

std::string version_string();

}  // namespace copylab

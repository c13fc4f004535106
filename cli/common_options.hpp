// What every copylab program shares on its command line and how its main() turns an Error into
// one line on stderr and an exit code. The common options, the same in every subcommand and tool:
//   -v/-vv        more output (-vv: libbpf/libxdp messages too)
//   -V/--version  print the versions and exit
//   --json FILE   write the result as JSON to FILE ("-" = stdout)
//   --quiet       warnings and errors only
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace copylab {

struct CommonOptions {
  int verbosity = 0;
  std::string json_file;  // "" = no JSON, "-" = stdout
  bool quiet = false;

  bool json_to_stdout() const noexcept { return json_file == "-"; }
};

// Adds -v/--verbose (repeatable), -V/--version, --json FILE and --quiet to `app`, bound to `opts`.
// Returns the --json option (a tool adds its deprecated alias next to it).
CLI::Option* add_common_options(CLI::App& app, CommonOptions& opts);

// Sets up logging (-v and --quiet read before parsing, so subcommand callbacks log at the right
// level) and stop handlers, parses argv (subcommand callbacks run here), then runs `body` if given.
// Maps errors to exit codes: usage errors → 2 (naming `<program> <subcommand> --help`),
// copylab::Error → its code, one line on stderr.
int run_main(CLI::App& app, int argc, char** argv, const CommonOptions& opts,
             const std::function<int()>& body);

// For subcommand callbacks, which cannot return a value: a non-zero exit code ends the program
// with that code (run_main returns it).
void finish_command(int exit_code);

// Writes a finished result document for --json `path`: on stdout for "-", else to the file (see
// write_results: a failed write leaves it in a fallback file named in the error). No-op for "".
// With --json -, run_main sends everything else the command prints on std::cout to stderr, so
// stdout carries the JSON document alone.
void write_json_result(const std::string& path, const std::string& text, const std::string& what);

std::string version_string();

}  // namespace copylab

#include "common/cli.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "common/cli_checks.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/stale_state.hpp"
#include "common/stop.hpp"

namespace copylab {

std::string version_string() {
  return std::string("copylab ") + COPYLAB_VERSION + " (libbpf " + libbpf_version_string() +
         ", libxdp " + COPYLAB_LIBXDP_VERSION + ")";
}

void add_common_options(CLI::App& app, CommonOptions& opts) {
  app.add_flag("-v,--verbose", opts.verbosity,
               "More output; -vv also shows libbpf/libxdp messages (verifier logs)");
  app.add_flag_callback(
      "--version",
      [] {
        std::cout << version_string() << '\n';
        throw CLI::Success();
      },
      "Print copylab, libbpf and libxdp versions and exit");
}

namespace {
int prescan_verbosity(int argc, char** argv) {
  int v = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    if (a == "--verbose") {
      ++v;
    } else if (a.size() >= 2 && a[0] == '-' && a[1] == 'v' &&
               a.find_first_not_of('v', 1) == std::string::npos) {
      v += static_cast<int>(a.size() - 1);
    }
  }
  return v;
}
}  // namespace

void finish_command(int exit_code) {
  if (exit_code != 0) throw CLI::RuntimeError(exit_code);
}

int run_main(CLI::App& app, int argc, char** argv, const CommonOptions& /*opts*/,
             const std::function<int()>& body) {
  setup_logging(prescan_verbosity(argc, argv));
  install_stop_handlers();
  // After parsing (so --help and bad input touch nothing), before any subcommand runs: state a
  // killed run left behind is reclaimed first. `copylab cleanup` reports it itself.
  app.parse_complete_callback([&app] {
    for (const CLI::App* sub : app.get_subcommands()) {
      if (sub->get_name() == "cleanup") return;
    }
    reclaim_stale_runs_at_start();
  });
  try {
    app.parse(argc, argv);
    const int rc = body ? body() : 0;
    // Flushed here, not at exit: a closed stdout must show in the exit code.
    std::cout.flush();
    std::fflush(stdout);
    return stop_signal() == SIGPIPE ? 128 + SIGPIPE : rc;
  } catch (const CLI::RuntimeError& e) {
    std::cout.flush();
    std::fflush(stdout);
    // A closed stdout (`| head -1`) ends the run as the shell reports SIGPIPE, whatever the
    // subcommand made of the stop.
    return stop_signal() == SIGPIPE ? 128 + SIGPIPE : e.get_exit_code();
  } catch (const OptionError& e) {
    std::cerr << app.get_name() << ": error: " << e.error().one_line() << '\n';
    return e.error().exit_code();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      std::cerr << app.get_name() << ": error: " << e.what() << ". Fix: see " << app.get_name()
                << " --help\n";
      return kExitUsage;
    }
    return app.exit(e);
  } catch (const Error& e) {
    std::cerr << app.get_name() << ": error: " << e.one_line() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << app.get_name() << ": error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace copylab

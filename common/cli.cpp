#include "common/cli.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "common/error.hpp"
#include "common/log.hpp"
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

int run_main(CLI::App& app, int argc, char** argv, const CommonOptions& opts,
             const std::function<int()>& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      std::cerr << app.get_name() << ": error: " << e.what() << ". Fix: see " << app.get_name()
                << " --help\n";
      return kExitUsage;
    }
    return app.exit(e);
  }
  setup_logging(opts.verbosity);
  install_stop_handlers();
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << app.get_name() << ": error: " << e.one_line() << '\n';
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << app.get_name() << ": error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace copylab

#include "cli/common_options.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/option_checks.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/output_file.hpp"
#include "common/stale_state.hpp"
#include "common/stop.hpp"

namespace copylab {

std::string version_string() {
  return std::string("copylab ") + COPYLAB_VERSION + " (libbpf " + libbpf_version_string() +
         ", libxdp " + COPYLAB_LIBXDP_VERSION + ")";
}

CLI::Option* add_common_options(CLI::App& app, CommonOptions& opts) {
  app.add_flag("-v,--verbose", opts.verbosity,
               "More output; -vv also shows libbpf/libxdp messages (verifier logs)");
  app.add_flag_callback(
      "-V,--version",
      [] {
        std::cout << version_string() << '\n';
        throw CLI::Success();
      },
      "Print copylab, libbpf and libxdp versions and exit");
  CLI::Option* json =
      app.add_option("--json", opts.json_file, "Write the result as JSON to FILE ('-': stdout)")
          ->type_name("FILE")
          ->check(CLI::Validator(
              [](std::string& path) -> std::string {
                if (path == "-") return {};
                return detail::as_option_error([&] { check_output_file("--json", path); });
              },
              "", "writable file or -"));
  app.add_flag("--quiet", opts.quiet, "No progress lines: warnings and errors only");
  return json;
}

namespace {
// The real stdout while --json - has std::cout writing to stderr (null otherwise).
std::streambuf* g_json_stdout = nullptr;

// While alive with `on`: std::cout writes to stderr, and write_json_result to the real stdout.
class StdoutForJson {
 public:
  explicit StdoutForJson(bool on) {
    if (!on) return;
    g_json_stdout = std::cout.rdbuf(std::cerr.rdbuf());
  }
  ~StdoutForJson() { restore(); }
  StdoutForJson(const StdoutForJson&) = delete;
  StdoutForJson& operator=(const StdoutForJson&) = delete;
  void restore() noexcept {
    if (g_json_stdout == nullptr) return;
    std::cout.flush();
    std::cout.rdbuf(g_json_stdout);
    g_json_stdout = nullptr;
  }
};
}  // namespace

void write_json_result(const std::string& path, const std::string& text, const std::string& what) {
  if (path.empty()) return;
  if (path == "-") {
    std::cout.flush();
    std::ostream out(g_json_stdout != nullptr ? g_json_stdout : std::cout.rdbuf());
    out << text << std::flush;
    return;
  }
  write_results("--json", path, text, what);
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

bool prescan_quiet(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") break;
    if (a == "--quiet") return true;
  }
  return false;
}

// "copylab compare" when the error came from a subcommand, else "copylab": whose --help to name.
std::string help_owner(const CLI::App& app) {
  std::string name = app.get_name();
  const CLI::App* at = &app;
  for (;;) {
    const auto subs = at->get_subcommands();
    if (subs.empty()) break;
    at = subs.front();
    name += " " + at->get_name();
  }
  return name;
}
}  // namespace

void finish_command(int exit_code) {
  if (exit_code != 0) throw CLI::RuntimeError(exit_code);
}

int run_main(CLI::App& app, int argc, char** argv, const CommonOptions& opts,
             const std::function<int()>& body) {
  setup_logging(prescan_verbosity(argc, argv));
  if (prescan_quiet(argc, argv)) spdlog::set_level(spdlog::level::warn);
  install_stop_handlers();
  // After parsing (so --help and bad input touch nothing), before any subcommand runs: state a
  // killed run left behind is reclaimed first. `copylab cleanup` reports it itself.
  std::optional<StdoutForJson> json_stdout;
  app.parse_complete_callback([&app, &opts, &json_stdout] {
    if (opts.json_to_stdout()) json_stdout.emplace(true);
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
    std::cerr << help_owner(app) << ": error: " << e.error().one_line() << '\n';
    return e.error().exit_code();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      const std::string owner = help_owner(app);
      std::cerr << owner << ": error: " << e.what() << ". Fix: run '" << owner << " --help'\n";
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

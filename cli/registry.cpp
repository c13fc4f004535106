#include "cli/registry.hpp"

#include <iostream>
#include <map>
#include <string>

#include "common/error.hpp"
#include "cli/help_format.hpp"
#include "cli/lab_command.hpp"
#include "cli/latency_command.hpp"
#include "cli/cleanup_command.hpp"
#include "cli/compare_command.hpp"
#include "cli/forward_command.hpp"
#include "cli/doctor_command.hpp"
#include "cli/hist_command.hpp"
#include "harness/compare_caveats.hpp"

namespace copylab {
namespace {

struct Subcommand {
  const char* name;
  const char* summary;  // one line in `copylab --help`
  CLI::App* (*add)(CLI::App&, CommonOptions&);
};

// The subcommands, in the order `copylab --help` lists them.
constexpr Subcommand kSubcommands[] = {
    {"compare", "Socket path vs AF_XDP under identical UDP traffic, checked against the kernel",
     register_compare_command},
    {"forward", "Middle box A -> M -> B: socket relay vs shared-UMEM AF_XDP forwarder, copies in M",
     register_forward_command},
    {"latency", "Ping-pong RTT and one-way latency: sockets, AF_XDP and the XDP_TX floor",
     register_latency_command},
    {"hist", "Kernel stack-trace histograms of a command's or copylab's own traffic",
     register_hist_command},
    {"doctor", "What this kernel allows (BPF, XDP, AF_XDP, kprobes...) and which backends follow",
     register_doctor_command},
    {"lab", "Kernel lab: a stock kernel under qemu with copylab's kprobe module and tools",
     register_lab_command},
    {"cleanup", "Remove what killed or crashed copylab runs left behind", register_cleanup_command},
};

std::string subcommand_list() {
  std::string out;
  for (const Subcommand& s : kSubcommands) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

bool is_subcommand(const std::string& word) {
  for (const Subcommand& s : kSubcommands) {
    if (word == s.name) return true;
  }
  return false;
}

// The first word that is not an option: the subcommand the user meant (copylab's own options
// take no value, except --json FILE).
const char* first_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      ++i;
      continue;
    }
    if (a == "--") return i + 1 < argc ? argv[i + 1] : nullptr;
    if (a[0] != '-') return argv[i];
  }
  return nullptr;
}

bool asks_for_help_or_version(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "-V" || a == "--version") return true;
  }
  return false;
}

}  // namespace

void register_subcommands(CLI::App& app, CommonOptions& common) {
  std::map<std::string, std::string> summaries;
  for (const Subcommand& s : kSubcommands) summaries[s.name] = s.summary;
  use_help_format(app, summaries);
  add_common_options(app, common);
  for (const Subcommand& s : kSubcommands) {
    CLI::App* sub = s.add(app, common);
    add_common_options(*sub, common);
  }
  app.require_subcommand(1);
  app.footer(std::string("Run 'copylab <subcommand> --help' for a subcommand's options.\n") +
             kExitCodesFooter);
}

int copylab_main(int argc, char** argv) {
  CLI::App app(
      "copylab: which data copies disappear (or move) when UDP goes from the socket path to "
      "AF_XDP, proven with evidence gathered in the kernel, and what that buys in latency and "
      "throughput.",
      "copylab");
  CommonOptions common;
  register_subcommands(app, common);
  const char* word = first_word(argc, argv);
  if (word == nullptr && !asks_for_help_or_version(argc, argv)) {
    std::cout << app.help();
    std::cerr << "copylab: error: no subcommand given. Fix: run one of " << subcommand_list()
              << " ('copylab <subcommand> --help' lists its options)\n";
    return kExitUsage;
  }
  if (word != nullptr && !is_subcommand(word)) {
    std::cerr << "copylab: error: unknown subcommand '" << word << "'. Fix: use one of "
              << subcommand_list() << " (see 'copylab --help')\n";
    return kExitUsage;
  }
  return run_main(app, argc, argv, common, {});
}

}  // namespace copylab

// The command line every copylab program shares, as a user runs it: each subcommand and each
// sender/receiver tool accepts -v/-vv, -V/--version, --help, --json FILE and --quiet; help fits
// 100 columns without CLI11's internals; `copylab` alone prints usage and exits 2; errors name
// the subcommand's help; --mode takes the iproute2/xdp-tools names (drv, skb) and the run
// reports the attach mode it got.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "netns/topology.hpp"
#include "tests/integration/tool_harness.hpp"

using namespace copylab;
using namespace copylab::test;

namespace {

struct Output {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string both() const { return out + err; }
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `argv` (argv[0] a binary of this build) with stdout and stderr kept apart; bounded.
Output run_split(std::vector<std::string> argv, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  argv[0] = bin(argv[0]);
  const std::string out_path = temp_path("cli.out");
  const std::string err_path = temp_path("cli.err");
  std::string cmd = "exec";
  for (const std::string& a : argv) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote(out_path) + " 2>" + shell_quote(err_path);
  ChildProcess p = ChildProcess::start({"sh", "-c", cmd}, temp_path("cli.log"));
  Output r;
  const auto rc = p.wait_for(timeout);
  r.exit_code = rc ? *rc : -2;  // timed out: never a pass
  if (!rc) p.stop();
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Display columns (UTF-8: continuation bytes take none).
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (unsigned char c : line) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

void expect_help_fits(const std::string& help) {
  for (const std::string& l : lines_of(help)) {
    EXPECT_LE(columns(l), 100U) << "help line over 100 columns:\n" << l;
  }
  // CLI11's internals: validator text, enum maps, flag default markers.
  for (const char* internal : {"ENUM", "->0}", "->1}", "->2}", "{false}", "{true}", " OR {", "TEXT:", "INT:", "FLOAT:"}) {
    EXPECT_EQ(help.find(internal), std::string::npos) << "help shows '" << internal << "':\n" << help;
  }
}

// A program and an invocation of it that fails on a bad option value before any namespace,
// program or frame exists (or, for cleanup, a cheap run that changes nothing).
struct Program {
  const char* label;
  std::vector<std::string> argv;     // binary [subcommand]
  std::vector<std::string> cheap;    // appended after the option under test
  int cheap_exit;                    // its exit code
  const char* cheap_pattern;         // what it prints (regex, searched in stdout+stderr)
};

const Program kPrograms[] = {
    {"compare", {"copylab", "compare"}, {"--size", "1"}, 2, R"(--size 1 is outside 32\.\.)"},
    {"latency", {"copylab", "latency"}, {"--count", "0"}, 2, R"(--count 0 is outside 1\.\.)"},
    {"hist", {"copylab", "hist"}, {"--count", "0"}, 2, R"(--count 0 is outside 1\.\.)"},
    {"doctor", {"copylab", "doctor"}, {"--netns", "x"}, 2, R"(--netns needs --dev)"},
    {"lab", {"copylab", "lab"}, {"--count", "0"}, 2, R"(--count 0 is outside 1\.\.)"},
    {"cleanup", {"copylab", "cleanup"}, {"--dry-run"}, 0, R"(cleanup: )"},
    {"xdp_sender", {"xdp_sender"}, {"--dev", "lo", "--size", "1"}, 2, R"(--size 1 is outside 32\.\.)"},
    {"xdp_receiver", {"xdp_receiver"}, {"--dev", "lo", "--size", "1"}, 2,
     R"(--size 1 is outside 32\.\.)"},
    {"sock_sender", {"sock_sender"}, {"--size", "1"}, 2, R"(--size 1 is outside 32\.\.)"},
    {"sock_receiver", {"sock_receiver"}, {"--size", "1"}, 2, R"(--size 1 is outside 32\.\.)"},
};

enum class Flag { kVerbose, kVeryVerbose, kQuiet, kJsonFile, kVersion, kShortVersion, kHelp };

const char* flag_name(Flag f) {
  switch (f) {
    case Flag::kVerbose: return "v";
    case Flag::kVeryVerbose: return "vv";
    case Flag::kQuiet: return "quiet";
    case Flag::kJsonFile: return "json";
    case Flag::kVersion: return "version";
    case Flag::kShortVersion: return "V";
    case Flag::kHelp: return "help";
  }
  return "?";
}

// gtest (and ctest's test names) print a row by its program and flag, not as a byte dump.
void PrintTo(const Program& p, std::ostream* os) { *os << p.label; }
void PrintTo(Flag f, std::ostream* os) { *os << flag_name(f); }

class CommonOption : public ::testing::TestWithParam<std::tuple<Program, Flag>> {};

TEST_P(CommonOption, IsAccepted) {
  const auto& [prog, flag] = GetParam();
  std::vector<std::string> argv = prog.argv;
  const std::string json = temp_path(std::string(prog.label) + ".json");
  switch (flag) {
    case Flag::kVerbose: argv.push_back("-v"); break;
    case Flag::kVeryVerbose: argv.push_back("-vv"); break;
    case Flag::kQuiet: argv.push_back("--quiet"); break;
    case Flag::kJsonFile: argv.insert(argv.end(), {"--json", json}); break;
    case Flag::kVersion: argv.push_back("--version"); break;
    case Flag::kShortVersion: argv.push_back("-V"); break;
    case Flag::kHelp: argv.push_back("--help"); break;
  }
  if (flag == Flag::kVersion || flag == Flag::kShortVersion) {
    const Output r = run_split(argv);
    EXPECT_EQ(r.exit_code, 0) << r.both();
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^copylab \d+\.\d+\.\d+ \(libbpf )")))
        << r.both();
    return;
  }
  if (flag == Flag::kHelp) {
    const Output r = run_split(argv);
    EXPECT_EQ(r.exit_code, 0) << r.both();
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << r.out;
    for (const char* common : {"-v, --verbose", "-V, --version", "--json FILE", "--quiet"}) {
      EXPECT_NE(r.out.find(common), std::string::npos) << "no " << common << " in\n" << r.out;
    }
    expect_help_fits(r.out);
    return;
  }
  argv.insert(argv.end(), prog.cheap.begin(), prog.cheap.end());
  const Output r = run_split(argv);
  EXPECT_EQ(r.exit_code, prog.cheap_exit) << r.both();
  // The option itself was taken: the run got as far as the value check after it.
  EXPECT_TRUE(std::regex_search(r.both(), std::regex(prog.cheap_pattern))) << r.both();
  EXPECT_EQ(r.both().find("not expected"), std::string::npos) << r.both();
  EXPECT_EQ(r.both().find("requires"), std::string::npos) << r.both();
  if (flag == Flag::kJsonFile && prog.cheap_exit == 0) {
    std::ifstream f(json);
    ASSERT_TRUE(f.good()) << "no --json file written\n" << r.both();
    const auto doc = nlohmann::json::parse(f);
    EXPECT_EQ(doc.at("tool"), std::string("copylab ") + prog.label) << doc.dump();
  }
  unlink(json.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    EveryProgram, CommonOption,
    ::testing::Combine(::testing::ValuesIn(kPrograms),
                       ::testing::Values(Flag::kVerbose, Flag::kVeryVerbose, Flag::kQuiet,
                                         Flag::kJsonFile, Flag::kVersion, Flag::kShortVersion,
                                         Flag::kHelp)),
    [](const auto& row) {
      return std::string(std::get<0>(row.param).label) + "_" + flag_name(std::get<1>(row.param));
    });

TEST(CopylabCommandLine, AloneItPrintsUsageAndExits2) {
  const Output r = run_split({"copylab"});
  EXPECT_EQ(r.exit_code, 2) << r.both();
  EXPECT_NE(r.out.find("Usage: copylab"), std::string::npos) << r.both();
  EXPECT_NE(r.err.find("no subcommand given"), std::string::npos) << r.both();
}

TEST(CopylabCommandLine, TopLevelHelpListsEverySubcommandOnOneLine) {
  const Output r = run_split({"copylab", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  expect_help_fits(r.out);
  for (const char* sub : {"compare", "forward", "latency", "hist", "doctor", "lab", "cleanup"}) {
    // Within the "Subcommands:" block, which ends at the first unindented line (the footer's
    // indented exit-code lines, e.g. "  hist -- CMD ...", are not subcommand entries).
    int lines = 0;
    bool in_block = false;
    for (const std::string& l : lines_of(r.out)) {
      if (!l.empty() && l[0] != ' ') in_block = l == "Subcommands:";
      if (in_block && l.rfind(std::string("  ") + sub + " ", 0) == 0) ++lines;
    }
    EXPECT_EQ(lines, 1) << sub << " in\n" << r.out;
  }
}

// The exit codes under `copylab --help` and `copylab compare --help` keep their columns: each
// code indented two spaces, its text aligned after it (the help formatter used to flatten them).
TEST(CopylabCommandLine, HelpListsExitCodesIndented) {
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"copylab", "--help"},
        std::vector<std::string>{"copylab", "compare", "--help"}}) {
    const Output r = run_split(argv);
    ASSERT_EQ(r.exit_code, 0) << r.both();
    expect_help_fits(r.out);
    int codes = 0;
    for (const std::string& l : lines_of(r.out)) {
      if (std::regex_search(l, std::regex(R"(^  (0|1|2|3|4|128\+N) +\S)"))) ++codes;
    }
    EXPECT_EQ(codes, 6) << r.out;
    EXPECT_NE(r.out.find("\n  4      compare: a check failed"), std::string::npos) << r.out;
  }
}

TEST(CopylabCommandLine, AnErrorNamesTheSubcommandsHelp) {
  for (const char* sub : {"compare", "forward", "latency", "hist", "doctor", "lab", "cleanup"}) {
    const Output r = run_split({"copylab", sub, "--no-such-option"});
    EXPECT_EQ(r.exit_code, 2) << r.both();
    EXPECT_NE(r.err.find(std::string("run 'copylab ") + sub + " --help'"), std::string::npos)
        << r.both();
  }
  const Output t = run_split({"sock_sender", "--no-such-option"});
  EXPECT_EQ(t.exit_code, 2) << t.both();
  EXPECT_NE(t.err.find("run 'sock_sender --help'"), std::string::npos) << t.both();
}

TEST(CopylabCommandLine, JsonDashIsTheOnlyThingOnStdout) {
  const Output r = run_split({"copylab", "cleanup", "--dry-run", "--json", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "stdout is not one JSON document:\n" << r.out;
  EXPECT_EQ(doc.at("tool"), "copylab cleanup");
  EXPECT_NE(r.err.find("cleanup: "), std::string::npos) << "the text report left for stderr";
}

TEST(CopylabCommandLine, ModeNamesAreCheckedWhereTheyEnter) {
  // The hidden former name still parses (the run stops at the --size check after it).
  const Output alias = run_split({"copylab", "compare", "--xdp-mode", "skb", "--size", "1"});
  EXPECT_EQ(alias.exit_code, 2) << alias.both();
  EXPECT_NE(alias.err.find("--size 1 is outside"), std::string::npos) << alias.both();
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"copylab", "compare", "--mode", "xdpgeneric"},
        std::vector<std::string>{"xdp_receiver", "--dev", "lo", "--mode", "xdpgeneric"}}) {
    const Output r = run_split(argv);
    EXPECT_EQ(r.exit_code, 2) << r.both();
    // The one parse with an error (parse_xdp_mode_or_throw, xdp/xdp_mode.hpp) names the option,
    // the value and every accepted name.
    EXPECT_NE(r.err.find("--mode: 'xdpgeneric' is not an XDP mode"), std::string::npos)
        << r.both();
    EXPECT_NE(r.err.find("use one of native|drv, generic|skb, auto"), std::string::npos)
        << r.both();
  }
}

// --mode drv / skb on a real AF_XDP pair: the receiver attaches in the mode asked for and says so.
struct ModeAlias {
  const char* given;
  const char* attached;
};

void PrintTo(const ModeAlias& m, std::ostream* os) { *os << m.given << "->" << m.attached; }

class ModeAliasRun : public ::testing::TestWithParam<ModeAlias> {};

TEST_P(ModeAliasRun, ToolsAttachInThatMode) {
  const ModeAlias m = GetParam();
  Topology topo = Topology::create_unique("clim");
  const TopologyConfig& t = topo.config();
  constexpr int kFrames = 500;
  BackgroundTool rx = start_tool(
      t.ns_b, "xdp_receiver",
      {"--dev", t.dev_b, "--mode", m.given, "--count", std::to_string(kFrames), "--idle-timeout",
       "0", "--duration", "60", "--no-per-second"});
  ASSERT_TRUE(rx.process.running()) << rx.finish().output;
  auto tx_args = xdp_sender_args(t);
  tx_args.insert(tx_args.end(), {"--mode", m.given, "--count", std::to_string(kFrames), "--rate", "20000"});
  const ToolRun tx = run_tool(t.ns_a, "xdp_sender", tx_args);
  const ToolRun done = rx.finish();
  ASSERT_EQ(tx.exit_code, 0) << tx.output;
  ASSERT_EQ(done.exit_code, 0) << done.output;
  ASSERT_TRUE(done.json.is_object()) << done.output;
  EXPECT_EQ(done.json["mode"]["xdp_attach"], m.attached) << done.json["mode"].dump();
  EXPECT_EQ(done.json["result"]["validator"]["unique"], kFrames) << done.json["result"].dump();
  EXPECT_EQ(attached_xdp(t.ns_b, t.dev_b), "") << "the receiver left its program attached";
}

TEST_P(ModeAliasRun, CompareAttachesInThatMode) {
  const ModeAlias m = GetParam();
  const std::string json = temp_path(std::string("compare-") + m.given + ".json");
  const ToolRun r = run_tool("", "copylab",
                             {"compare", "--mode", m.given, "--count", "500", "--rate", "5000",
                              "--no-unpaced", "--backend", "none", "--json", json},
                             std::chrono::seconds(180), /*json_file=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream f(json);
  ASSERT_TRUE(f.good()) << r.output;
  const auto doc = nlohmann::json::parse(f);
  unlink(json.c_str());
  int af_xdp_runs = 0;
  for (const auto& run : doc.at("runs")) {
    if (run.at("rx_path") != "af_xdp") continue;
    ++af_xdp_runs;
    EXPECT_EQ(run.at("/receiver/mode/xdp_attach"_json_pointer), m.attached) << run.at("receiver").dump();
  }
  EXPECT_EQ(af_xdp_runs, 1) << doc.dump();
}

INSTANTIATE_TEST_SUITE_P(IprouteNames, ModeAliasRun,
                         ::testing::Values(ModeAlias{"drv", "native"}, ModeAlias{"skb", "generic"}),
                         [](const auto& row) { return std::string(row.param.given); });

}  // namespace

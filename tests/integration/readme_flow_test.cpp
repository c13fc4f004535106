// The README's manual flow, run the way a user pastes it: the ```bash block under "## The manual
// flow" is read from README.md and its lines run in order in one bash, from the repository root
// with build/bin on PATH. Only the namespace and device names are replaced (ns1/ns2/veth1/veth2
// become this test's unique names, textually and through netns/setup.sh's COPYLAB_NS_A..DEV_B
// overrides), nothing else. Every step must exit 0, every backgrounded step must have ended by
// the end of the block with exit 0, each receiver's summary must show its --count frames with
// nothing lost, duplicated or corrupt, and the block must leave no namespace behind. On failure
// or timeout the whole process group is killed and the namespaces are torn down.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "netns/command.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"

using namespace copylab;

namespace {

constexpr auto kFlowLimit = std::chrono::seconds(360);

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The lines of the first ```bash block after the "## The manual flow" heading.
std::vector<std::string> manual_flow_block(const std::string& readme) {
  std::istringstream in(readme);
  std::vector<std::string> block;
  enum { kBefore, kSection, kBlock } where = kBefore;
  for (std::string line; std::getline(in, line);) {
    if (where == kBefore && line.rfind("## The manual flow", 0) == 0) {
      where = kSection;
    } else if (where == kSection && line.rfind("## ", 0) == 0) {
      break;  // next section, no block found
    } else if (where == kSection && line.rfind("```bash", 0) == 0) {
      where = kBlock;
    } else if (where == kBlock) {
      if (line.rfind("```", 0) == 0) return block;
      block.push_back(line);
    }
  }
  return {};
}

struct Step {
  std::string text;       // as written, names replaced
  bool background = false;
  bool receiver = false;  // xdp_receiver / sock_receiver: a summary is expected
  std::uint64_t count = 0;
};

std::string command_part(const std::string& line) {
  const auto hash = line.find(" #");
  std::string cmd = line.substr(0, hash);
  while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\t')) cmd.pop_back();
  return cmd;
}

std::string replace_names(std::string line, const TopologyConfig& t) {
  const std::pair<const char*, std::string> names[] = {
      {"ns1", t.ns_a}, {"ns2", t.ns_b}, {"veth1", t.dev_a}, {"veth2", t.dev_b}};
  for (const auto& [from, to] : names) {
    line = std::regex_replace(line, std::regex(std::string("\\b") + from + "\\b"), to);
  }
  return line;
}

std::vector<Step> steps_of(const std::vector<std::string>& block, const TopologyConfig& t) {
  std::vector<Step> steps;
  const std::regex count_re("--count[ =]([0-9]+)");
  for (const std::string& line : block) {
    const std::string cmd = command_part(line);
    if (cmd.empty() || cmd[0] == '#') continue;
    Step s;
    s.text = replace_names(line, t);
    s.background = cmd.back() == '&' && cmd.size() >= 2 && cmd[cmd.size() - 2] != '&';
    s.receiver = cmd.find("xdp_receiver") != std::string::npos ||
                 cmd.find("sock_receiver") != std::string::npos;
    std::smatch m;
    if (s.receiver && std::regex_search(cmd, m, count_re)) s.count = std::stoull(m[1]);
    steps.push_back(std::move(s));
  }
  return steps;
}

// One bash script: the steps in order, each followed by a marker with its exit status; stops at
// the first failing step; at the end reports background steps still running (and stops them) or
// their exit status.
std::string flow_script(const std::vector<Step>& steps, const TopologyConfig& t,
                        const std::string& tmpdir) {
  std::ostringstream s;
  s << "cd '" << COPYLAB_SOURCE_DIR << "' || exit 90\n"
    << "export PATH='" << COPYLAB_TEST_BIN_DIR << "':\"$PATH\"\n"
    << "export TMPDIR='" << tmpdir << "'\n"
    << "export COPYLAB_NS_A='" << t.ns_a << "' COPYLAB_NS_B='" << t.ns_b << "' COPYLAB_DEV_A='"
    << t.dev_a << "' COPYLAB_DEV_B='" << t.dev_b << "'\n"
    << "__bg=()\n";
  for (std::size_t i = 0; i < steps.size(); ++i) {
    s << "echo '@@step " << i << "'\n" << steps[i].text << "\n__rc=$?\n";
    if (steps[i].background) s << "__bg+=($!)\n";
    s << "echo \"@@rc " << i << " $__rc\"\n"
      << "[ \"$__rc\" = 0 ] || exit 91\n";
  }
  s << "__left=0\n"
    << "for p in \"${__bg[@]}\"; do\n"
    << "  if kill -0 \"$p\" 2>/dev/null; then echo \"@@left-running $p\"; __left=1; kill \"$p\";\n"
    << "  else wait \"$p\"; echo \"@@bg-rc $p $?\"; fi\n"
    << "done\n"
    << "[ \"$__left\" = 0 ] || exit 92\n"
    << "echo '@@done'\n";
  return s.str();
}

// Tears the test's names down whatever the flow did (teardown.sh removes only what setup.sh
// marked as its own).
class TeardownGuard {
 public:
  explicit TeardownGuard(TopologyConfig t) : t_(std::move(t)) {}
  TeardownGuard(const TeardownGuard&) = delete;
  TeardownGuard& operator=(const TeardownGuard&) = delete;
  ~TeardownGuard() {
    std::vector<std::string> argv{netns_script_dir() + "/teardown.sh", "-q"};
    for (const std::string& a : topology_script_args(t_)) argv.push_back(a);
    try {
      run_command(argv);
    } catch (...) {
    }
  }

 private:
  TopologyConfig t_;
};

struct Summary {
  std::string tool;
  std::uint64_t received = 0, lost = 0, reordered = 0, duplicates = 0, corrupt = 0;
};

std::vector<Summary> receiver_summaries(const std::string& log) {
  const std::regex re(
      "(xdp_receiver|sock_receiver): received ([0-9]+) frames \\(([0-9]+) lost \\[[^\\]]*\\], "
      "([0-9]+) reordered, ([0-9]+) duplicates, ([0-9]+) corrupt\\)");
  std::vector<Summary> out;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.push_back({m[1], std::stoull(m[2]), std::stoull(m[3]), std::stoull(m[4]),
                   std::stoull(m[5]), std::stoull(m[6])});
  }
  return out;
}

TEST(ReadmeManualFlow, RunsStepByStepAsWritten) {
  const std::vector<std::string> block = manual_flow_block(slurp(std::string(COPYLAB_SOURCE_DIR) + "/README.md"));
  ASSERT_FALSE(block.empty()) << "README.md has no ```bash block under '## The manual flow'";

  const TopologyConfig t = unique_topology_config("rdm");
  ASSERT_FALSE(netns_exists(t.ns_a) || netns_exists(t.ns_b));
  const std::vector<Step> steps = steps_of(block, t);
  ASSERT_FALSE(steps.empty());
  std::size_t receivers = 0;
  for (const Step& s : steps) {
    receivers += s.receiver ? 1 : 0;
    if (s.receiver) {
      EXPECT_GT(s.count, 0U) << "a receiver without --count never ends: " << s.text;
    }
    for (const char* fixed : {"ns1", "ns2", "veth1", "veth2"}) {
      EXPECT_FALSE(std::regex_search(s.text, std::regex(std::string("\\b") + fixed + "\\b")))
          << "unreplaced name in: " << s.text;
    }
  }
  // setup.sh with no flags must pick up the test's names, never the shared defaults.
  const std::string setup_help = [&] {
    const std::string log = "/tmp/copylab-readme-flow-" + std::to_string(getpid()) + ".help";
    ChildProcess p = ChildProcess::start(
        {"env", "COPYLAB_NS_A=" + t.ns_a, "COPYLAB_NS_B=" + t.ns_b, "COPYLAB_DEV_A=" + t.dev_a,
         "COPYLAB_DEV_B=" + t.dev_b, netns_script_dir() + "/setup.sh", "--help"},
        log);
    p.wait_for(std::chrono::seconds(10));
    const std::string text = slurp(log);
    unlink(log.c_str());
    return text;
  }();
  ASSERT_NE(setup_help.find(t.ns_a + ": " + t.dev_a), std::string::npos) << setup_help;

  TeardownGuard teardown(t);
  const std::string stem = "/tmp/copylab-readme-flow-" + std::to_string(getpid());
  const std::string script = stem + ".sh", log = stem + ".log", tmpdir = stem + ".d";
  // The flow's mktemp lands here (TMPDIR), so whatever it leaves is found and removed.
  ASSERT_EQ(mkdir(tmpdir.c_str(), 0700), 0) << tmpdir;
  {
    std::ofstream f(script);
    f << flow_script(steps, t, tmpdir);
  }
  // setsid: the flow and everything it starts form one process group, killed as one on timeout.
  ChildProcess flow = ChildProcess::start({"setsid", "bash", script}, log);
  const auto rc = flow.wait_for(kFlowLimit);
  kill(-flow.pid(), SIGKILL);  // whatever of the group is still there (a step left running)
  const int exit_code = rc ? *rc : flow.stop();
  const std::string out = slurp(log);
  unlink(script.c_str());
  unlink(log.c_str());
  const bool tmp_clean = rmdir(tmpdir.c_str()) == 0;  // fails when the flow left files there
  if (!tmp_clean) run_command({"rm", "-rf", "--", tmpdir});

  ASSERT_TRUE(rc.has_value()) << "the flow did not finish within " << kFlowLimit.count()
                              << " s:\n" << out;
  EXPECT_EQ(exit_code, 0) << "91: a step failed, 92: a backgrounded step was left running\n" << out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    EXPECT_NE(out.find("@@rc " + std::to_string(i) + " 0\n"), std::string::npos)
        << "step " << i << " did not exit 0: " << steps[i].text;
  }
  EXPECT_EQ(out.find("@@left-running"), std::string::npos) << out;
  const std::regex bg_rc("@@bg-rc [0-9]+ ([0-9]+)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), bg_rc); it != std::sregex_iterator(); ++it) {
    EXPECT_EQ((*it)[1], "0") << "a backgrounded step failed:\n" << out;
  }

  // Each receiver, in order: its --count frames, none lost, duplicated or corrupt.
  const std::vector<Summary> sums = receiver_summaries(out);
  ASSERT_EQ(sums.size(), receivers) << out;
  std::size_t k = 0;
  for (const Step& s : steps) {
    if (!s.receiver) continue;
    const Summary& got = sums[k++];
    EXPECT_NE(s.text.find(got.tool), std::string::npos) << "summaries out of order:\n" << out;
    EXPECT_EQ(got.received, s.count) << got.tool;
    EXPECT_EQ(got.lost, 0U) << got.tool;
    EXPECT_EQ(got.duplicates, 0U) << got.tool;
    EXPECT_EQ(got.corrupt, 0U) << got.tool;
  }
  if (::testing::Test::HasFailure()) ADD_FAILURE() << "the flow's output:\n" << out;
  // The block ends with its own teardown: nothing of it is left.
  EXPECT_TRUE(tmp_clean) << "the flow left files under its mktemp directory";
  EXPECT_FALSE(netns_exists(t.ns_a)) << "the flow left " << t.ns_a << " behind";
  EXPECT_FALSE(netns_exists(t.ns_b)) << "the flow left " << t.ns_b << " behind";
}

}  // namespace

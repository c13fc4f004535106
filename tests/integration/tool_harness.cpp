#include "tests/integration/tool_harness.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/ready_file.hpp"
#include "netns/command.hpp"

namespace copylab::test {

std::string ToolRun::last_line() const {
  std::istringstream in(output);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

int ToolRun::lines_containing(const std::string& needle) const {
  std::istringstream in(output);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

std::string bin(const std::string& tool) { return std::string(COPYLAB_TEST_BIN_DIR) + "/" + tool; }

namespace {
// One directory per test process for every temp_path, removed with everything in it when the
// process exits, so a test that fails before its own unlink leaves nothing in /tmp.
class TestTempDir {
 public:
  TestTempDir() : path_("/tmp/copylab-test-" + std::to_string(getpid())) {
    std::filesystem::create_directories(path_);
  }
  ~TestTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TestTempDir(const TestTempDir&) = delete;
  TestTempDir& operator=(const TestTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
}  // namespace

std::string temp_path(const std::string& stem) {
  static TestTempDir dir;
  static std::atomic<int> counter{0};
  return dir.path() + "/" + std::to_string(counter++) + "-" + stem;
}

std::vector<std::string> tool_argv(const std::string& ns, const std::string& tool,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv{bin(tool)};
  argv.insert(argv.end(), args.begin(), args.end());
  return ns.empty() ? argv : netns_exec_argv(ns, argv);
}

namespace {
std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
nlohmann::json read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) return nullptr;
  return nlohmann::json::parse(f, nullptr, false);
}
// The option that writes a tool's JSON result to a file, spelled only here: `--json FILE`, the
// same for copylab's subcommands and the sender/receiver tools.
void add_json_output(std::vector<std::string>& args, const std::string& path) {
  args.insert(args.end(), {"--json", path});
}
}  // namespace

ToolRun run_tool(const std::string& ns, const std::string& tool, std::vector<std::string> args,
                 std::chrono::seconds timeout, bool json_file) {
  const std::string log = temp_path(tool + ".log");
  const std::string json = temp_path(tool + ".json");
  if (json_file) add_json_output(args, json);
  ChildProcess p = ChildProcess::start(tool_argv(ns, tool, args), log);
  ToolRun r;
  r.pid = p.pid();
  const auto rc = p.wait_for(timeout);
  r.exit_code = rc ? *rc : p.stop();
  if (!rc) r.exit_code = -2;  // timed out: never a pass
  r.output = slurp(log);
  r.json = read_json(json);
  unlink(log.c_str());
  unlink(json.c_str());
  return r;
}

BackgroundTool start_tool(const std::string& ns, const std::string& tool,
                          std::vector<std::string> args) {
  const std::string ready = temp_path(tool + ".ready");
  const std::string json = temp_path(tool + ".json");
  const std::string log = temp_path(tool + ".log");
  args.insert(args.end(), {"--ready-file", ready});
  add_json_output(args, json);
  BackgroundTool t{ChildProcess::start(tool_argv(ns, tool, args), log), json, log};
  // Bounded: 30 s for XDP attach + UMEM setup, or until the tool dies. A tool that never got
  // ready is the test's to judge from finish() (its exit code and output); the reason is logged.
  try {
    wait_for_ready_file(ready, t.process, std::chrono::seconds(30));
  } catch (const Error& e) {
    std::fprintf(stderr, "start_tool: %s\n", e.one_line().c_str());
  }
  unlink(ready.c_str());
  return t;
}

ToolRun BackgroundTool::finish(std::chrono::seconds timeout) {
  ToolRun r;
  r.pid = process.pid();
  const auto rc = process.wait_for(timeout);
  r.exit_code = rc ? *rc : -2;
  if (!rc) process.stop();
  r.output = slurp(log_path);
  r.json = read_json(json_path);
  unlink(log_path.c_str());
  unlink(json_path.c_str());
  return r;
}

TopologyConfig non_default_topology_config(std::string_view tag, std::uint8_t subnet) {
  TopologyConfig cfg = unique_topology_config(tag);
  const std::string mac = fmt::format("02:5c:{:02x}:00:00:", subnet);
  const std::string net = fmt::format("192.168.{}.", subnet);
  cfg.mac_a = parse_mac(mac + "0a", "test");
  cfg.mac_b = parse_mac(mac + "0b", "test");
  cfg.ip_a = parse_ipv4(net + "17", "test");
  cfg.ip_b = parse_ipv4(net + "42", "test");
  return cfg;
}

std::string attached_xdp(const std::string& ns, const std::string& dev) {
  const auto r = run_command({"ip", "-n", ns, "-j", "-d", "link", "show", "dev", dev});
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  if (!doc.is_array() || doc.empty() || !doc[0].contains("xdp")) return "";
  return doc[0]["xdp"].dump();
}

LaunchCommand launch_command(const TopologyConfig& t, const ToolLaunch& launch) {
  return {launch.role == ToolRole::kSender ? t.ns_a : t.ns_b,
          tool_name(launch.path.datapath(), launch.role), tool_args(t, launch)};
}

std::vector<std::string> xdp_sender_args(const TopologyConfig& t) {
  ToolLaunch l;
  l.path = af_xdp_path(XdpMode::kAuto);
  return tool_args(t, l);
}

std::vector<std::string> sock_sender_args(const TopologyConfig& t) {
  ToolLaunch l;
  l.path = socket_path();
  return tool_args(t, l);
}

}  // namespace copylab::test

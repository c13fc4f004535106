#include "tests/integration/tool_harness.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

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
  std::vector<std::string> argv;
  if (!ns.empty()) argv = {"ip", "netns", "exec", ns};
  argv.push_back(bin(tool));
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
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
  // Bounded: 30 s for XDP attach + UMEM setup, or until the tool dies.
  for (int i = 0; i < 3000 && access(ready.c_str(), F_OK) != 0 && t.process.running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
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

std::string attached_xdp(const std::string& ns, const std::string& dev) {
  const auto r = run_command({"ip", "-n", ns, "-j", "-d", "link", "show", "dev", dev});
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  if (!doc.is_array() || doc.empty() || !doc[0].contains("xdp")) return "";
  return doc[0]["xdp"].dump();
}

std::vector<std::string> xdp_sender_args(const TopologyConfig& t) {
  return {"--dev",     t.dev_a,         "--src-mac", t.mac_a.str(), "--dst-mac",
          t.mac_b.str(), "--src-ip",    t.ip_a.str(), "--dst-ip",   t.ip_b.str()};
}

std::vector<std::string> sock_sender_args(const TopologyConfig& t) {
  return {"--dev", t.dev_a, "--src-ip", t.ip_a.str(), "--dst-ip", t.ip_b.str()};
}

}  // namespace copylab::test

// `copylab compare --backend kmod` and `copylab doctor` as a user runs them. On a kernel without
// loadable modules or kprobes (this project's CI VM) compare must refuse with one line naming the
// reason and the fix, exit 3, and leave nothing behind; doctor must list the backend and why.
// Where the kernel does allow modules and kprobes, the end-to-end run is the kernel lab's
// 60_compare_kmod experiment (Debian 6.1 under qemu).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "netns/command.hpp"
#include "tests/integration/tool_harness.hpp"

using namespace copylab;
using namespace copylab::test;

namespace {

std::vector<std::string> non_empty_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(l);
  return lines;
}

nlohmann::json doctor_json() {
  const CommandResult r = run_command({bin("copylab"), "doctor", "--json", "-", "--no-device"});
  EXPECT_TRUE(r.ok()) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

bool kmod_available() { return doctor_json().value("/kmod_backend/available"_json_pointer, false); }

}  // namespace

TEST(KmodBackend, DoctorListsTheBackendAndWhy) {
  const nlohmann::json j = doctor_json();
  ASSERT_TRUE(j.contains("kmod_backend")) << j.dump();
  const auto& k = j.at("kmod_backend");
  ASSERT_TRUE(k.at("available").is_boolean());
  EXPECT_FALSE(k.at("reason").get<std::string>().empty());
  bool listed = false;
  for (const auto& b : j.at("backends"))
    listed |= b.at("name").get<std::string>().find("--backend kmod") != std::string::npos;
  EXPECT_TRUE(listed) << j.at("backends").dump();
  const CommandResult text = run_command({bin("copylab"), "doctor", "--no-device"});
  ASSERT_TRUE(text.ok()) << text.err;
  const std::string expect =
      std::string("kprobe module copyprobe (copylab compare --backend kmod): ") +
      (k.at("available").get<bool>() ? "available: " : "unavailable: ");
  EXPECT_NE(text.out.find(expect), std::string::npos) << text.out;
  if (!k.at("available").get<bool>()) {
    EXPECT_FALSE(k.at("fix").get<std::string>().empty());
    EXPECT_NE(text.out.find(". Fix: "), std::string::npos) << text.out;
  }
}

TEST(KmodBackend, UnavailableCompareIsOneLineExit3AndLeavesNothing) {
  if (kmod_available())
    GTEST_SKIP() << "this kernel allows modules and kprobes: see the kernel lab";
  const std::string log = temp_path("kmod_compare.log");
  auto p = ChildProcess::start(
      {bin("copylab"), "compare", "--backend", "kmod", "--count", "100", "--no-unpaced"}, log);
  const auto rc = p.wait_for(std::chrono::seconds(60));
  ASSERT_TRUE(rc.has_value()) << "compare did not finish";
  std::ifstream f(log);
  const std::string out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::remove(log.c_str());
  EXPECT_EQ(*rc, 3) << out;
  const auto lines = non_empty_lines(out);  // stdout + stderr: the error line and nothing else
  ASSERT_EQ(lines.size(), 1U) << out;
  EXPECT_NE(lines[0].find("--backend kmod unavailable: "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(". Fix: "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("--backend bpf"), std::string::npos) << lines[0];
  // Refused before anything was set up: none of this run's namespaces (cl-cmp-<pid>-N) exist,
  // so neither do its veth pair or an XDP program on it.
  const std::string mine = "cl-cmp-" + std::to_string(p.pid()) + "-";
  EXPECT_EQ(run_command({"ip", "netns", "list"}).out.find(mine), std::string::npos);
}

TEST(KmodBackend, PrebuiltModuleDoesNotBypassTheCheck) {
  if (kmod_available())
    GTEST_SKIP() << "this kernel allows modules and kprobes: see the kernel lab";
  const CommandResult r = run_command({bin("copylab"), "compare", "--backend", "kmod",
                                       "--kmod-module", "/nonexistent/copyprobe.ko"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(non_empty_lines(r.err).size(), 1U) << r.err;
}

TEST(KmodBackend, KmodModuleWithoutKmodBackendIsAUsageError) {
  const CommandResult r = run_command({bin("copylab"), "compare", "--kmod-module", "/tmp/x.ko"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--backend kmod"), std::string::npos) << r.err;
  const CommandResult bad = run_command({bin("copylab"), "compare", "--backend", "kprobe-modules"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("auto, bpf, kmod, none"), std::string::npos) << bad.err;
}

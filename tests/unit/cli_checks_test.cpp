// The option checks every tool shares (numbers, CPUs, output paths) and the result writer that
// keeps results when their own path fails. No kernel state; files only under a private directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/help_format.hpp"
#include "cli/option_checks.hpp"
#include "cli/options_traffic.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "harness/compare_caveats.hpp"

using namespace copylab;
namespace fs = std::filesystem;

namespace {

// The one line a bad value produces ("" when parsing succeeded).
template <typename T>
std::string parse_error(T& target, T lo, T hi, const std::string& value) {
  CLI::App app("t", "t");
  in_range(app.add_option("--n", target), lo, hi);
  std::vector<std::string> args{value, "--n"};  // CLI11 parses the vector back to front
  try {
    app.parse(args);
    return "";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.get_exit_code(), kExitUsage);
    return e.error().one_line();
  }
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("copylab-clichecks-" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  bool empty() const { return fs::is_empty(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(InRange, NegativeCountIsRefusedNotWrapped) {
  std::uint64_t n = 7;
  EXPECT_EQ(parse_error<std::uint64_t>(n, 0, kMaxCount, "-5"),
            "--n -5 is outside 0..1000000000000. Fix: give --n a whole number from 0..1000000000000");
  EXPECT_EQ(n, 7U);
}

TEST(InRange, NamesTheRange) {
  std::uint16_t port = 1;
  EXPECT_NE(parse_error<std::uint16_t>(port, 1, 65535, "70000").find("--n 70000 is outside 1..65535"),
            std::string::npos);
  EXPECT_NE(parse_error<std::uint16_t>(port, 1, 65535, "99999999999999999999999").find("is outside"),
            std::string::npos);
}

TEST(InRange, WholeDecimalNumbersOnly) {
  int v = 0;
  EXPECT_NE(parse_error(v, 0, 100, "0x10").find("is not a whole number"), std::string::npos);
  EXPECT_NE(parse_error(v, 0, 100, "1e1").find("is not a whole number"), std::string::npos);
  EXPECT_NE(parse_error(v, 0, 100, "").find("is not a whole number"), std::string::npos);
  // A leading zero is decimal here (CLI11 alone would read "010" as octal 8).
  EXPECT_EQ(parse_error(v, 0, 100, "010"), "");
  EXPECT_EQ(v, 10);
  EXPECT_EQ(parse_error(v, 0, 100, "100"), "");
  EXPECT_EQ(v, 100);
}

TEST(InRange, FiniteNumbers) {
  double d = 0;
  EXPECT_NE(parse_error(d, 0.0, 10.0, "nan").find("is not a number"), std::string::npos);
  EXPECT_NE(parse_error(d, 0.0, 10.0, "inf").find("is not a number"), std::string::npos);
  EXPECT_NE(parse_error(d, 0.0, 10.0, "-0.5").find("is outside 0..10"), std::string::npos);
  EXPECT_EQ(parse_error(d, 0.0, 10.0, "2.5"), "");
  EXPECT_DOUBLE_EQ(d, 2.5);
}

TEST(OnlineCpu, NamesTheOptionAndTheCpus) {
  int cpu = 0;
  CLI::App app("t", "t");
  online_cpu(app.add_option("--cpu-tx", cpu));
  std::vector<std::string> args{"4096", "--cpu-tx"};
  try {
    app.parse(args);
    FAIL() << "CPU 4096 accepted";
  } catch (const OptionError& e) {
    const std::string line = e.error().one_line();
    EXPECT_NE(line.find("--cpu-tx 4096: there is no CPU 4096"), std::string::npos) << line;
    EXPECT_NE(line.find("Fix: give --cpu-tx one of " + usable_cpus_text()), std::string::npos) << line;
  }
}

TEST(OutputFile, RefusesMissingDirectoryAndDirectoriesCreatesNothing) {
  TempDir dir;
  try {
    check_output_file("--json", (dir.path / "no" / "x.json").string());
    FAIL() << "missing directory accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.one_line().find("does not exist: No such file or directory (ENOENT)"), std::string::npos)
        << e.one_line();
    EXPECT_NE(e.one_line().find("Fix: create it first (mkdir -p"), std::string::npos) << e.one_line();
  }
  try {
    check_output_file("--json", dir.path.string());
    FAIL() << "directory accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.one_line().find("is a directory"), std::string::npos) << e.one_line();
  }
  EXPECT_NO_THROW(check_output_file("--json", (dir.path / "x.json").string()));
  EXPECT_TRUE(dir.empty()) << "the probe left a file behind";
  EXPECT_THROW(check_output_file("--json", "/proc/nonexistent/x.json"), Error);
}

TEST(OutputDir, MissingLevelsAreFineUnderAWritableParent) {
  TempDir dir;
  EXPECT_NO_THROW(check_output_dir("--out", (dir.path / "a" / "b").string()));
  EXPECT_TRUE(dir.empty()) << "the check must not create the directory";
  EXPECT_THROW(check_output_dir("--out", "/proc/nonexistent/o"), Error);
  std::ofstream((dir.path / "file").string()) << "x";
  EXPECT_THROW(check_output_dir("--out", (dir.path / "file" / "sub").string()), Error);
}

TEST(WriteResults, FailedWriteGoesToTheFallbackItNames) {
  TempDir dir;
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", dir.path.c_str(), 1);
  const std::string text = "{\"runs\": []}\n";
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  try {
    write_results("--json", "/dev/full", text, "unit");
    FAIL() << "a write to /dev/full succeeded";
  } catch (const Error& e) {
    const std::string fallback = fallback_results_path("unit");
    EXPECT_NE(e.one_line().find("Couldn't write --json /dev/full"), std::string::npos) << e.one_line();
    EXPECT_NE(e.one_line().find("ENOSPC"), std::string::npos) << e.one_line();
    EXPECT_NE(e.one_line().find("saved to " + fallback + " instead"), std::string::npos)
        << e.one_line();
    EXPECT_EQ(slurp(fallback), text);
  }
  // A directory removed during the run.
  const fs::path gone = dir.path / "gone";
  fs::create_directories(gone);
  fs::remove(gone);
  EXPECT_THROW(write_results("--json", (gone / "r.json").string(), text, "unit2"), Error);
  EXPECT_EQ(slurp(fallback_results_path("unit2")), text);
  // And the normal case: written in place, no temporary left.
  write_results("--json", (dir.path / "ok.json").string(), text, "unit3");
  EXPECT_EQ(slurp(dir.path / "ok.json"), text);
  EXPECT_FALSE(fs::exists(dir.path / "ok.json.tmp"));
  if (old != nullptr) setenv("TMPDIR", saved.c_str(), 1); else unsetenv("TMPDIR");
}

// The exit-code list under --help keeps its two columns: each line indented, the codes aligned,
// a wrapped description continuing under its own text, every line within the help width.
TEST(HelpFormat, ExitCodeFooterKeepsItsIndentation) {
  CLI::App app("A command", "copylab");
  use_help_format(app);
  app.footer(kExitCodesFooter);
  const std::string help = app.help();
  for (const char* line : {"\n  0      done; compare: every check", "\n  2      bad input: ",
                           "\n  4      compare: a check failed", "\n  128+N  stopped by signal N",
                           "\n  hist -- CMD exits with CMD's own status."}) {
    EXPECT_NE(help.find(line), std::string::npos) << "no '" << line + 1 << "' in\n" << help;
  }
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) EXPECT_LE(line.size(), kHelpColumns) << line;
}

TEST(HelpFormat, LabelledLineWrapsUnderItsText) {
  const std::string text =
      wrap_text("Codes:\n  4      one two three four five six seven eight nine", 0, 30, false);
  EXPECT_EQ(text, "Codes:\n  4      one two three four\n         five six seven eight\n         nine");
  // Plain paragraphs still wrap and indent as before.
  EXPECT_EQ(wrap_text("aa bb cc", 2, 7, true), "  aa bb\n  cc");
}

// --size is range-checked while parsing against the payload range of packet/payload_size.hpp;
// the MTU is the device's to check.
TEST(TrafficOptions, SizeRangeIsThePayloadRange) {
  auto parse_size = [](const std::string& value) -> std::string {
    CLI::App app("t", "t");
    TrafficConfig cfg;
    add_traffic_options(app, cfg, true);
    try {
      app.parse(std::vector<std::string>{value, "--size"});
      return std::to_string(cfg.payload_size);
    } catch (const OptionError& e) {
      return e.error().one_line();
    }
  };
  EXPECT_NE(parse_size("8").find("--size 8 is outside 32..65507"), std::string::npos);
  EXPECT_NE(parse_size("65508").find("--size 65508 is outside 32..65507"), std::string::npos);
  EXPECT_EQ(parse_size("32"), "32");
  EXPECT_EQ(parse_size("9000"), "9000");
}

}  // namespace

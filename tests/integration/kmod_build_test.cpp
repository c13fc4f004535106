// `copylab compare --backend kmod` builds copyprobe.ko with Kbuild before loading it. This host
// cannot load modules, but the build itself is real and testable: against the kernel lab's
// Debian 6.1 headers (downloaded by kmod/lab/run.sh --fetch-only into its cache, nothing
// installed), the same make the backend runs for the running kernel. Checks the module it makes
// (name and vermagic from .modinfo), the per-release cache, and the one-line error naming
// build.log when the build tree is wrong.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "kmod/backend/module_build.hpp"
#include "kmod/backend/module_file.hpp"
#include "netns/command.hpp"

using namespace copylab;
namespace fs = std::filesystem;

namespace {

// Runs kmod/lab/run.sh with `args` and a throw-away work dir.
CommandResult lab_run(std::vector<std::string> args) {
  const fs::path work =
      fs::temp_directory_path() / ("copylab-kbuild-lab-" + std::to_string(getpid()));
  args.insert(args.begin(), std::string(COPYLAB_SOURCE_DIR) + "/kmod/lab/run.sh");
  args.insert(args.end(), {"--quiet", "--work-dir", work.string()});
  auto r = run_command(args);
  std::error_code ec;
  fs::remove_all(work, ec);
  return r;
}

// The guest kernel's release as the lab uses it (linux-image-<release>=... among the specs
// `run.sh --resolve-only` prints: the pinned one, or the archive's current one of the same
// series when the pin has left Debian's archive).
std::string lab_release(std::string& why) {
  const CommandResult r = lab_run({"--resolve-only"});
  std::istringstream in(r.out);
  const std::string prefix = "linux-image-";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size(), line.find('=') - prefix.size());
  }
  why = r.out + r.err;
  return "";
}

std::string lab_cache() {
  if (const char* c = std::getenv("COPYLAB_LAB_CACHE"); c && *c) return c;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.cache/copylab-lab";
}

class KmodBuild : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    release_ = lab_release(why);
    ASSERT_FALSE(release_.empty()) << "run.sh --resolve-only named no linux-image: " << why;
    tree_ = lab_cache() + "/root-" + release_ + "/usr/src/linux-headers-" + release_;
    if (!fs::exists(tree_ + "/Makefile")) {
      const CommandResult r = lab_run({"--fetch-only"});
      ASSERT_TRUE(fs::exists(tree_ + "/Makefile"))
          << "kmod/lab/run.sh --fetch-only did not provide " << tree_ << ": " << r.out << r.err;
    }
    // A private cache: the test must build, not find an earlier result.
    cache_ = fs::temp_directory_path() / ("copylab-kbuild-cache-" + std::to_string(getpid()));
    fs::create_directories(cache_);
    setenv("XDG_CACHE_HOME", cache_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("XDG_CACHE_HOME");
    std::error_code ec;
    fs::remove_all(cache_, ec);
  }
  std::string release_, tree_;
  fs::path cache_;
};

}  // namespace

TEST_F(KmodBuild, BuildsCopyprobeAgainstAKernelTreeAndCachesIt) {
  const std::string ko = kmod::build_copyprobe(release_, tree_);
  EXPECT_EQ(fs::path(ko).parent_path(), cache_ / "copylab-kmod" / release_);
  const kmod::ModuleFileInfo info = kmod::inspect_module_file(ko);
  EXPECT_EQ(info.name, "copyprobe");
  EXPECT_EQ(info.release(), release_) << info.vermagic;
  EXPECT_FALSE(info.is_signed);

  // Same sources: the cached module is returned without running make again.
  const auto built_at = fs::last_write_time(ko);
  EXPECT_EQ(kmod::build_copyprobe(release_, tree_), ko);
  EXPECT_EQ(fs::last_write_time(ko), built_at);
}

TEST_F(KmodBuild, AFailedBuildIsOneErrorNamingItsLog) {
  const std::string bogus = (cache_ / "no-kernel-tree").string();
  fs::create_directories(bogus);
  try {
    kmod::build_copyprobe(release_ + "-bogus", bogus);
    ADD_FAILURE() << "a build against an empty tree succeeded";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("building copyprobe.ko against " + bogus + " failed"), std::string::npos)
        << what;
    const std::string log = (cache_ / "copylab-kmod" / (release_ + "-bogus") / "build.log").string();
    EXPECT_NE(e.fix().find(log), std::string::npos) << e.fix();
    EXPECT_TRUE(fs::exists(log));
  }
}

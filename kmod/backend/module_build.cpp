#include "kmod/backend/module_build.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"
#include "kmod/backend/kmod_availability.hpp"

namespace copylab::kmod {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSources[] = {"Kbuild", "copyprobe.h", "copyprobe_main.c",
                                    "copyprobe_stats.c"};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

fs::path cache_dir(const std::string& release) {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const fs::path base = xdg && *xdg     ? fs::path(xdg)
                        : home && *home ? fs::path(home) / ".cache"
                                        : fs::path("/root/.cache");
  return base / "copylab-kmod" / release;
}

// True when the cached copies of the sources equal the tree's (then the cached .ko is current).
bool sources_current(const fs::path& src, const fs::path& dir) {
  for (const char* f : kSources) {
    if (!fs::exists(dir / f) || read_all(src / f) != read_all(dir / f)) return false;
  }
  return true;
}

}  // namespace

std::string copyprobe_source_dir() { return COPYLAB_KMOD_SOURCE_DIR; }

std::string build_copyprobe(const std::string& release) {
  return build_copyprobe(release, kernel_build_dir(release));
}

std::string build_copyprobe(const std::string& release, const std::string& tree) {
  const fs::path src = copyprobe_source_dir();
  const fs::path dir = cache_dir(release);
  const fs::path ko = dir / "copyprobe.ko";
  if (fs::exists(ko) && sources_current(src, dir)) {
    spdlog::info("kmod: using cached {}", ko.string());
    return ko.string();
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw_errno("mkdir", dir.string(), ec.value(), "set XDG_CACHE_HOME to a writable directory");
  fs::remove(ko, ec);
  for (const char* f : kSources) {
    fs::copy_file(src / f, dir / f, fs::copy_options::overwrite_existing, ec);
    if (ec) throw_errno("copy", (src / f).string(), ec.value(), "check copylab's source tree");
  }
  const std::string log = (dir / "build.log").string();
  spdlog::info("kmod: building copyprobe.ko against {} (log: {})", tree, log);
  ChildProcess make = ChildProcess::start(
      {"make", "-C", tree, "M=" + dir.string(), "modules"}, log);
  std::optional<int> rc;
  for (int waited_s = 0; !rc; ++waited_s) {
    if (stop_requested()) throw Error("interrupted while building copyprobe.ko", "", stop_exit_code());
    if (waited_s > 600) {
      make.stop();
      throw Error("building copyprobe.ko took more than 600 s", "see " + log);
    }
    rc = make.wait_for(std::chrono::milliseconds(1000));
  }
  if (*rc != 0 || !fs::exists(ko)) {
    throw Error(
        "building copyprobe.ko against " + tree + " failed (make exit " +
            std::to_string(*rc) + "): " + last_line_of(log),
        "see " + log + "; or give --kmod-module PATH to a copyprobe.ko built for " + release);
  }
  return ko.string();
}

}  // namespace copylab::kmod

#include "dpdk/eal_session.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/error.hpp"
#include "common/run_registry.hpp"

namespace copylab {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPrefixStem = "copylab-";

// Where the EAL puts <prefix> directories (lib/eal/linux/eal.c eal_create_runtime_dir): /var/run
// for root, else $XDG_RUNTIME_DIR or /tmp; then "dpdk".
fs::path eal_runtime_parent() {
  if (::getuid() == 0) return "/var/run/dpdk";
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  return fs::path(xdg != nullptr ? xdg : "/tmp") / "dpdk";
}

// "--lcores=0@(a,b,...)": one lcore that keeps the calling thread's CPU set (rte_eal_init pins
// the main thread to its lcore's CPUs, and spawns a thread per further lcore).
std::string lcores_arg() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::string cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    }
  }
  return cpus.empty() ? "--lcores=0" : "--lcores=0@(" + cpus + ")";
}

std::string read_all(std::FILE* f) {
  if (f == nullptr) return {};
  std::fflush(f);
  std::ifstream in("/proc/self/fd/" + std::to_string(fileno(f)));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The last line of the EAL's log that says something: not its usage text (indented, or
// "Usage: ...") nor the generic "Invalid 'command line' arguments." that follows the real reason.
std::string last_line_of(const std::string& text) {
  auto says_something = [](const std::string& line) {
    return !line.empty() && line.find_first_not_of(" \t\r") == 0 && line.rfind("Usage:", 0) != 0 &&
           line.find("Invalid 'command line' arguments") == std::string::npos;
  };
  std::string last;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (says_something(line)) last = std::move(line);
    start = end + 1;
  }
  return last;
}

// Points fds 1 and 2 at `fd` for the scope: the EAL writes "EAL: FATAL: ..." straight to
// stderr and its usage text to stdout (lib/eal/linux/eal.c eal_usage), where a tool's JSON may go.
class OutputTo {
 public:
  explicit OutputTo(int fd)
      : out_(fd >= 0 ? ::dup(STDOUT_FILENO) : -1), err_(fd >= 0 ? ::dup(STDERR_FILENO) : -1) {
    std::fflush(stdout);
    if (out_ >= 0) ::dup2(fd, STDOUT_FILENO);
    if (err_ >= 0) ::dup2(fd, STDERR_FILENO);
  }
  ~OutputTo() {
    std::fflush(stdout);
    std::fflush(stderr);
    if (out_ >= 0) {
      ::dup2(out_, STDOUT_FILENO);
      ::close(out_);
    }
    if (err_ >= 0) {
      ::dup2(err_, STDERR_FILENO);
      ::close(err_);
    }
  }
  OutputTo(const OutputTo&) = delete;
  OutputTo& operator=(const OutputTo&) = delete;

 private:
  int out_;
  int err_;
};

}  // namespace

EalSession::EalSession(const std::vector<std::string>& args) {
  prefix_ = fmt::format("{}{}-{}", kPrefixStem, ::getpid(), process_start_time(::getpid()));
  const bool show_log = spdlog::should_log(spdlog::level::trace);  // -vv
  argv_ = {"copylab", "--file-prefix=" + prefix_,
           show_log ? "--log-level=info" : "--log-level=notice", lcores_arg()};
  argv_.insert(argv_.end(), args.begin(), args.end());

  if (!show_log) {
    const int fd = ::memfd_create("copylab-eal-log", MFD_CLOEXEC);
    log_ = fd >= 0 ? ::fdopen(fd, "w+") : nullptr;
    if (log_ != nullptr) rte_openlog_stream(log_);
  }
  std::vector<char*> cargv;
  for (std::string& a : argv_) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  spdlog::debug("rte_eal_init {}", fmt::join(argv_, " "));
  int ret = 0;
  int err = 0;
  {
    const OutputTo quiet(log_ != nullptr ? fileno(log_) : -1);
    ret = rte_eal_init(static_cast<int>(cargv.size() - 1), cargv.data());
    err = rte_errno;
  }
  if (ret < 0) {
    const std::string said = last_log_line();
    const bool memory = said.find("memory") != std::string::npos || err == ENOMEM;
    throw Error(fmt::format("rte_eal_init ({}): {}", fmt::join(args, " "),
                            said.empty() ? std::string(rte_strerror(err)) : said),
                memory ? "give the EAL memory it can get, e.g. --eal-args '--no-huge -m 256 "
                         "--no-pci', or free memory"
                       : "check the device and queue exist in this namespace (ip link show) and "
                         "run with -vv for the EAL's log");
  }
  runtime_dir_ = rte_eal_get_runtime_dir();
}

EalSession::~EalSession() {
  rte_eal_cleanup();
  // rte_eal_cleanup leaves <runtime dir>/<prefix> (its config and hugepage-info files).
  std::error_code ec;
  if (!runtime_dir_.empty() && fs::path(runtime_dir_).filename().string() == prefix_) {
    fs::remove_all(runtime_dir_, ec);
  }
  if (log_ != nullptr) {
    rte_openlog_stream(nullptr);
    std::fclose(log_);
  }
}

std::string EalSession::last_log_line() const { return last_line_of(read_all(log_)); }

void reclaim_stale_eal_dirs() noexcept {
  try {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(eal_runtime_parent(), ec)) {
      const std::string name = entry.path().filename().string();
      unsigned long long pid = 0;
      unsigned long long start = 0;
      int used = 0;
      if (name.rfind(kPrefixStem, 0) != 0 ||
          std::sscanf(name.c_str() + std::strlen(kPrefixStem), "%llu-%llu%n", &pid, &start,
                      &used) != 2 ||
          std::strlen(kPrefixStem) + static_cast<std::size_t>(used) != name.size() || pid == 0 ||
          pid > 0x7fffffffULL) {
        continue;
      }
      if (process_alive(static_cast<pid_t>(pid), start)) continue;
      fs::remove_all(entry.path(), ec);
      if (!ec) spdlog::info("reclaimed the stale DPDK runtime dir {} (run {} is gone)", entry.path().string(), pid);
    }
  } catch (const std::exception& e) {
    spdlog::debug("checking for stale DPDK runtime dirs: {}", e.what());
  }
}

}  // namespace copylab

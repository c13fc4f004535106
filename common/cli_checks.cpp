#include "common/cli_checks.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "common/error.hpp"

namespace copylab {
namespace detail {

std::string number_text(long double v, bool integral) {
  if (integral) {
    return v < 0 ? std::to_string(static_cast<long long>(v))
                 : std::to_string(static_cast<unsigned long long>(v));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10Lg", v);
  return buf;
}

void check_number(const std::string& option, std::string& text, bool integral, long double lo,
                  long double hi, const std::string& lo_text, const std::string& hi_text) {
  const std::string range = lo_text + ".." + hi_text;
  const std::string fix = "give " + option + " a " + (integral ? "whole number" : "number") +
                          " from " + range;
  long double value = 0;
  bool ok = !text.empty();
  if (ok && integral) {
    const std::size_t i = (text[0] == '-' || text[0] == '+') ? 1U : 0U;
    ok = i < text.size() && text.find_first_not_of("0123456789", i) == std::string::npos;
    if (ok) {
      errno = 0;
      char* end = nullptr;
      const bool negative = text[0] == '-';
      const unsigned long long magnitude = std::strtoull(text.c_str() + i, &end, 10);
      if (errno == ERANGE) {
        throw Error(option + " " + text + " is outside " + range, fix, kExitUsage);
      }
      value = negative ? -static_cast<long double>(magnitude) : static_cast<long double>(magnitude);
    }
  } else if (ok) {
    char* end = nullptr;
    value = std::strtold(text.c_str(), &end);
    ok = end != nullptr && *end == '\0' && std::isfinite(value);
  }
  if (!ok) {
    throw Error(option + " '" + text + "' is not a " + (integral ? "whole number" : "number"), fix,
                kExitUsage);
  }
  if (value < lo || value > hi) {
    throw Error(option + " " + text + " is outside " + range, fix, kExitUsage);
  }
  // Canonical decimal form for the option parser's conversion (which may read "010" as octal).
  if (integral) text = number_text(value, true);
}

}  // namespace detail

namespace {

namespace fs = std::filesystem;

// 0 when `dir` accepts a new file, else the errno. Probes with an unnamed O_TMPFILE (gone on
// close); where the filesystem lacks O_TMPFILE, with a uniquely named file removed at once.
int probe_writable_dir(const std::string& dir) {
  int fd = open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return errno;
  static std::atomic<unsigned> counter{0};
  const std::string probe = (fs::path(dir) / (".copylab-probe-" + std::to_string(getpid()) + "-" +
                                              std::to_string(counter++)))
                                .string();
  fd = open(probe.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  close(fd);
  unlink(probe.c_str());
  return 0;
}

[[noreturn]] void refuse(const std::string& label, const std::string& path,
                         const std::string& problem, int err, const std::string& fix) {
  throw Error(label + " " + path + ": " + problem + (err != 0 ? ": " + errno_text(err) : ""), fix,
              kExitUsage);
}

std::string parent_of(const std::string& path) {
  const fs::path p = fs::path(path).lexically_normal();
  const fs::path parent = p.parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

void check_output_file(const std::string& label, const std::string& path) {
  if (path.empty()) refuse(label, "''", "no file name", 0, "give " + label + " a file path");
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      refuse(label, path, "is a directory", EISDIR,
             "give a file name, e.g. " + label + " " + (fs::path(path) / "result.json").string());
    }
    const int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      refuse(label, path, "cannot be opened for writing", err,
             "make it writable or give " + label + " another path");
    }
    close(fd);
    return;
  }
  if (const int err = errno; err != ENOENT) {
    refuse(label, path, "cannot be looked up", err, "give " + label + " a path in a writable directory");
  }
  const std::string dir = parent_of(path);
  struct stat dst {};
  if (stat(dir.c_str(), &dst) != 0) {
    const int err = errno;
    refuse(label, path, "its directory " + dir + " does not exist", err,
           "create it first (mkdir -p " + dir + ") or give " + label + " another path");
  }
  if (!S_ISDIR(dst.st_mode)) {
    refuse(label, path, dir + " is not a directory", ENOTDIR, "give " + label + " another path");
  }
  if (const int err = probe_writable_dir(dir); err != 0) {
    refuse(label, path, "cannot create a file in " + dir, err,
           "give " + label + " a path in a writable directory");
  }
}

void check_output_dir(const std::string& label, const std::string& path) {
  if (path.empty()) refuse(label, "''", "no directory name", 0, "give " + label + " a directory");
  fs::path p = fs::absolute(fs::path(path)).lexically_normal();
  // The nearest existing ancestor must be a writable directory (the run makes the rest).
  bool exists = true;
  for (;;) {
    struct stat st {};
    if (stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        refuse(label, path, p.string() + " is not a directory", ENOTDIR,
               "give " + label + " a directory path");
      }
      break;
    }
    if (const int err = errno; err != ENOENT) {
      refuse(label, path, "cannot look up " + p.string(), err, "give " + label + " another directory");
    }
    exists = false;
    if (!p.has_parent_path() || p.parent_path() == p) break;
    p = p.parent_path();
  }
  if (const int err = probe_writable_dir(p.string()); err != 0) {
    refuse(label, path,
           exists ? "cannot create files in it" : "cannot create it under " + p.string(), err,
           "give " + label + " a writable directory");
  }
}

bool cpu_usable(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return false;
  return CPU_ISSET(cpu, &set);
}

std::string usable_cpus_text() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return "?";
  std::string out;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &set)) continue;
    int last = c;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!out.empty()) out += ',';
    out += std::to_string(c);
    if (last > c) out += "-" + std::to_string(last);
    c = last;
  }
  return out;
}

void require_usable_cpu(const std::string& option, int cpu, bool allow_unpinned) {
  if ((allow_unpinned && cpu == -1) || cpu_usable(cpu)) return;
  throw Error(option + " " + std::to_string(cpu) + ": there is no CPU " + std::to_string(cpu) +
                  " for this process (online and allowed: " + usable_cpus_text() + ")",
              "give " + option + " one of " + usable_cpus_text() +
                  (allow_unpinned ? ", or -1 for no pinning" : ""),
              kExitUsage);
}

void require_udp_port_free(const std::string& ns, std::uint16_t port,
                           const std::string& alternative) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket(AF_INET, SOCK_DGRAM)", "namespace " + ns, errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  const int rc = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = rc == 0 ? 0 : errno;
  close(fd);
  if (err == 0) return;
  throw Error("UDP port " + std::to_string(port) + " in namespace " + ns + " is not free: " +
                  errno_text(err),
              "stop what holds it (ip netns exec " + ns + " ss -ulpn 'sport = :" +
                  std::to_string(port) + "')" + (alternative.empty() ? "" : " or " + alternative),
              kExitUsage);
}

}  // namespace copylab

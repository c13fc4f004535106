#include "netns/netns_scope.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>

#include "common/error.hpp"

namespace copylab {
namespace {

std::string netns_path(std::string_view name) { return "/run/netns/" + std::string(name); }

bool valid_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

// Opens /run/netns/<name>; -1 with errno set if it is missing or not a network namespace.
int open_netns(std::string_view name) {
  if (!valid_name(name)) {
    errno = EINVAL;
    return -1;
  }
  const int fd = open(netns_path(name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  // A stale file left in /run/netns (not an nsfs mount) answers ENOTTY here.
  if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
    close(fd);
    errno = ENOENT;
    return -1;
  }
  return fd;
}

Error missing_netns(std::string_view name) {
  return Error("no network namespace '" + std::string(name) + "' (see ip netns list)",
               "create it with netns/setup.sh or drop --netns", kExitUsage);
}

}  // namespace

bool netns_exists(std::string_view name) {
  const int fd = open_netns(name);
  if (fd < 0) return false;
  close(fd);
  return true;
}

void require_netns(std::string_view name) {
  if (!netns_exists(name)) throw missing_netns(name);
}

std::string current_netns_name() {
  struct stat self {};
  if (stat("/proc/thread-self/ns/net", &self) != 0) return {};
  DIR* dir = opendir("/run/netns");
  if (dir == nullptr) return {};
  std::string found;
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (stat(netns_path(name).c_str(), &st) == 0 && st.st_ino == self.st_ino &&
        st.st_dev == self.st_dev) {
      found = name;
      break;
    }
  }
  closedir(dir);
  return found;
}

NetnsScope::NetnsScope(std::string_view name) : name_(name) {
  if (name_.empty()) return;
  const int target = open_netns(name_);
  if (target < 0) {
    if (errno == ENOENT || errno == EINVAL) throw missing_netns(name_);
    throw_errno("open", netns_path(name_), errno, "run as root, or check ip netns list");
  }
  original_fd_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_fd_ < 0) {
    const int err = errno;
    close(target);
    throw_errno("open", "/proc/thread-self/ns/net", err);
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    const int err = errno;
    close(target);
    close(original_fd_);
    original_fd_ = -1;
    throw_errno("setns(CLONE_NEWNET)", "network namespace " + name_, err,
                "run as root (needs CAP_SYS_ADMIN)");
  }
  close(target);
}

NetnsScope::~NetnsScope() {
  if (original_fd_ < 0) return;
  if (setns(original_fd_, CLONE_NEWNET) != 0) {
    // A thread stuck in the experiment's namespace would send later traffic to the wrong place;
    // that must never pass silently.
    spdlog::critical("couldn't return from network namespace {}: {}", name_, errno_text(errno));
    std::abort();
  }
  close(original_fd_);
}

}  // namespace copylab

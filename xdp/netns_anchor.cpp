#include "xdp/netns_anchor.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"

namespace copylab {
namespace {
constexpr const char* kThreadNetns = "/proc/thread-self/ns/net";
}

NetnsAnchor::NetnsAnchor() : fd_(open(kThreadNetns, O_RDONLY | O_CLOEXEC)) {
  if (fd_ < 0) throw_errno("open", kThreadNetns, errno, "mount /proc");
}

NetnsAnchor::~NetnsAnchor() {
  if (fd_ >= 0) close(fd_);
}

bool NetnsAnchor::run(FunctionRef<void()> f) const noexcept {
  struct stat anchored{}, current{};
  if (fstat(fd_, &anchored) == 0 && stat(kThreadNetns, &current) == 0 &&
      anchored.st_ino == current.st_ino && anchored.st_dev == current.st_dev) {
    f();
    return true;
  }
  const int back = open(kThreadNetns, O_RDONLY | O_CLOEXEC);
  if (back < 0) return false;
  if (setns(fd_, CLONE_NEWNET) != 0) {
    close(back);
    return false;
  }
  f();
  (void)setns(back, CLONE_NEWNET);
  close(back);
  return true;
}

}  // namespace copylab

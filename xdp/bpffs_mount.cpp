#include "xdp/bpffs_mount.hpp"

#include <dirent.h>
#include <linux/magic.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>

#include "common/error.hpp"

namespace copylab {
namespace {

constexpr const char* kSystemBpffs = "/sys/fs/bpf";

std::mutex g_mutex;
std::weak_ptr<BpffsMount> g_current;

bool is_bpffs(const std::string& path) {
  struct statfs st{};
  return statfs(path.c_str(), &st) == 0 && st.f_type == static_cast<decltype(st.f_type)>(BPF_FS_MAGIC);
}

constexpr const char* kPrivatePrefix = "copylab-bpffs-";

std::string private_path() { return std::string("/run/") + kPrivatePrefix + std::to_string(getpid()); }

// A run killed with SIGKILL can't unmount its private bpffs: remove those whose process is gone.
void remove_stale_mounts() {
  DIR* dir = opendir("/run");
  if (dir == nullptr) return;
  const std::string prefix = kPrivatePrefix;
  while (const dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid <= 0 || kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    const std::string path = "/run/" + name;
    umount2(path.c_str(), MNT_DETACH);
    if (rmdir(path.c_str()) == 0) spdlog::debug("removed a stale private bpffs at {}", path);
  }
  closedir(dir);
}

}  // namespace

std::shared_ptr<BpffsMount> BpffsMount::acquire() {
  std::lock_guard lock(g_mutex);
  if (auto existing = g_current.lock()) return existing;

  std::shared_ptr<BpffsMount> m;
  const char* env = std::getenv("LIBXDP_BPFFS");
  if (env != nullptr && *env != '\0' && is_bpffs(env)) {
    m.reset(new BpffsMount(env, false));  // the user's choice
  } else if (is_bpffs(kSystemBpffs)) {
    m.reset(new BpffsMount(kSystemBpffs, false));
  } else {
    remove_stale_mounts();
    const std::string path = private_path();
    // In the run's record before it is mounted: a run killed with it mounted leaves it to the
    // next run to unmount.
    OwnedState record = record_owned({{"kind", "mount"}, {"fstype", "bpf"}, {"path", path}});
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      throw_errno("mkdir", path, errno, "make /run writable, or mount a bpffs at /sys/fs/bpf");
    }
    if (!is_bpffs(path) && mount("bpf", path.c_str(), "bpf", 0, "mode=0700") != 0) {
      const int err = errno;
      rmdir(path.c_str());
      throw_errno("mount -t bpf", path, err,
                  "run as root (CAP_SYS_ADMIN), or mount one: mount -t bpf bpf /sys/fs/bpf");
    }
    setenv("LIBXDP_BPFFS", path.c_str(), 1);
    spdlog::debug("no bpffs at {}: mounted a private one at {} for libxdp", kSystemBpffs, path);
    m.reset(new BpffsMount(path, true));
    m->record_ = std::move(record);
  }
  g_current = m;
  return m;
}

BpffsMount::~BpffsMount() {
  if (!private_) return;
  std::lock_guard lock(g_mutex);  // a concurrent acquire() remounts only after this unmount
  if (umount2(path_.c_str(), MNT_DETACH) != 0) {
    spdlog::warn("couldn't unmount the private bpffs at {}: {}", path_, errno_text(errno));
    record_.leave();
  }
  rmdir(path_.c_str());
}

}  // namespace copylab

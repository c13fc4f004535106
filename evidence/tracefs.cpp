#include "evidence/tracefs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.hpp"

namespace copylab::trace {
namespace {
std::atomic<int> g_instance_counter{0};
constexpr const char* kDefaultTracefs = "/sys/kernel/tracing";
}  // namespace

int write_tracefs_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  // O_TRUNC would clear every trigger of the file: append semantics only.
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = n < 0 ? errno : 0;
  ::close(fd);
  return err;
}

std::string read_tracefs_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return in ? out.str() : std::string();
}

std::string find_tracefs_mount() {
  std::ifstream in("/proc/self/mounts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string dev, dir, type;
    if (ls >> dev >> dir >> type && type == "tracefs") return dir;
  }
  return {};
}

TracefsMount TracefsMount::acquire() {
  std::string found = find_tracefs_mount();
  if (!found.empty()) return TracefsMount(found, false);
  OwnedState record =
      record_owned({{"kind", "mount"}, {"fstype", "tracefs"}, {"path", kDefaultTracefs}});
  if (::mount("nodev", kDefaultTracefs, "tracefs", 0, nullptr) != 0) {
    throw_errno("mount tracefs", kDefaultTracefs, errno,
                "mount it yourself (mount -t tracefs nodev /sys/kernel/tracing) or run as root");
  }
  spdlog::info("mounted tracefs on {} (will unmount it when done)", kDefaultTracefs);
  TracefsMount m(kDefaultTracefs, true);
  m.record_ = std::move(record);
  return m;
}

TracefsMount::~TracefsMount() {
  if (mounted_ && ::umount2(path_.c_str(), 0) != 0) {
    spdlog::warn("could not unmount tracefs from {}: {}", path_, errno_text(errno));
    record_.leave();
  }
}

TracefsInstance::TracefsInstance(const std::string& tracefs) {
  name_ = fmt::format("copylab-{}-{}", ::getpid(), g_instance_counter++);
  path_ = tracefs + "/instances/" + name_;
  record_ = record_owned({{"kind", "tracefs_instance"}, {"path", path_}});
  if (::mkdir(path_.c_str(), 0700) != 0)
    throw_errno("create tracefs instance", path_, errno,
                "check that tracefs is writable (root) and has instances/");
}

TracefsInstance::~TracefsInstance() {
  if (::rmdir(path_.c_str()) != 0) {
    spdlog::warn("could not remove tracefs instance {}: {}", path_, errno_text(errno));
    record_.leave();
  }
}

std::string TracefsInstance::event_file(const std::string& group, const std::string& event,
                                        const std::string& file) const {
  return path_ + "/events/" + group + "/" + event + "/" + file;
}

TracefsTrigger::TracefsTrigger(std::string trigger_file, std::string spec, TriggerRemoval removal)
    : file_(std::move(trigger_file)), spec_(std::move(spec)), removal_(removal) {
  err_ = write_tracefs_file(file_, spec_);
}

TracefsTrigger::~TracefsTrigger() {
  if (err_ != 0) return;
  std::string removal = spec_;
  if (auto pos = removal.find(" if ");
      removal_ == TriggerRemoval::kWithoutFilter && pos != std::string::npos)
    removal.resize(pos);
  if (int err = write_tracefs_file(file_, "!" + removal); err != 0)
    spdlog::warn("could not remove trigger '{}' from {}: {}", removal, file_, errno_text(err));
}

}  // namespace copylab::trace

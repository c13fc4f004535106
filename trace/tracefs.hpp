// tracefs as RAII: the mount (found, or mounted and later unmounted by us), a private instance
// (instances/copylab-<pid>-<n>, removed on destruction) and event triggers (removed with "!...").
// copylab never touches the global trace buffers or anyone else's instance.
#pragma once

#include <string>

namespace copylab::trace {

// Writes `text` to `path` (one write call, as the kernel parses it). Returns 0 or errno.
int write_tracefs_file(const std::string& path, const std::string& text);

class TracefsMount {
 public:
  // The existing tracefs mount, or a fresh one on /sys/kernel/tracing (unmounted again by the
  // destructor). Throws copylab::Error when neither works.
  static TracefsMount acquire();
  TracefsMount(TracefsMount&& o) noexcept : path_(std::move(o.path_)), mounted_(o.mounted_) {
    o.mounted_ = false;
  }
  TracefsMount& operator=(TracefsMount&&) = delete;
  TracefsMount(const TracefsMount&) = delete;
  ~TracefsMount();

  const std::string& path() const noexcept { return path_; }
  bool mounted_by_us() const noexcept { return mounted_; }

 private:
  TracefsMount(std::string path, bool mounted) : path_(std::move(path)), mounted_(mounted) {}
  std::string path_;
  bool mounted_ = false;
};

// "" when tracefs is not mounted anywhere.
std::string find_tracefs_mount();

class TracefsInstance {
 public:
  // mkdir <tracefs>/instances/copylab-<pid>-<n>. Throws copylab::Error with the errno.
  explicit TracefsInstance(const std::string& tracefs);
  TracefsInstance(const TracefsInstance&) = delete;
  TracefsInstance& operator=(const TracefsInstance&) = delete;
  ~TracefsInstance();

  const std::string& path() const noexcept { return path_; }
  const std::string& name() const noexcept { return name_; }
  // <instance>/events/<group>/<event>/<file>
  std::string event_file(const std::string& group, const std::string& event,
                         const std::string& file) const;

 private:
  std::string name_;
  std::string path_;
};

class TracefsTrigger {
 public:
  // Writes `spec` to `trigger_file`; the destructor writes "!" + removal (spec without an
  // " if ..." filter, as the kernel matches triggers by command). err() != 0 when refused.
  TracefsTrigger(std::string trigger_file, std::string spec);
  TracefsTrigger(const TracefsTrigger&) = delete;
  TracefsTrigger& operator=(const TracefsTrigger&) = delete;
  ~TracefsTrigger();

  int err() const noexcept { return err_; }
  bool active() const noexcept { return err_ == 0; }

 private:
  std::string file_;
  std::string spec_;
  int err_ = 0;
};

}  // namespace copylab::trace

// tracefs as RAII: the mount (found, or mounted and later unmounted by us), a private instance
// (instances/copylab-<pid>-<n>, removed on destruction) and event triggers (removed with "!...").
// copylab never touches the global trace buffers or anyone else's instance.
#pragma once

#include <string>

#include "common/run_registry.hpp"

namespace copylab::trace {

// Writes `text` to `path` (one write call, as the kernel parses it). Returns 0 or errno.
int write_tracefs_file(const std::string& path, const std::string& text);
// The whole content of a tracefs file ("" when it cannot be read).
std::string read_tracefs_file(const std::string& path);

class TracefsMount {
 public:
  // The existing tracefs mount, or a fresh one on /sys/kernel/tracing (unmounted again by the
  // destructor). Throws copylab::Error when neither works.
  static TracefsMount acquire();
  TracefsMount(TracefsMount&& o) noexcept
      : path_(std::move(o.path_)), mounted_(o.mounted_), record_(std::move(o.record_)) {
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
  OwnedState record_;  // a mount of ours in this run's record
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
  OwnedState record_;  // in this run's record from before the mkdir until the rmdir
};

// How the kernel finds a trigger to remove: enable_/disable_ triggers (and traceon, stacktrace...)
// by command and target, whatever their filter; hist triggers by keys, values, sort keys AND
// filter, so they must be removed with the exact spec.
enum class TriggerRemoval { kWithoutFilter, kExactSpec };

class TracefsTrigger {
 public:
  // Writes `spec` to `trigger_file`; the destructor writes "!" + the removal spec (see
  // TriggerRemoval). err() != 0 when refused.
  TracefsTrigger(std::string trigger_file, std::string spec,
                 TriggerRemoval removal = TriggerRemoval::kWithoutFilter);
  TracefsTrigger(const TracefsTrigger&) = delete;
  TracefsTrigger& operator=(const TracefsTrigger&) = delete;
  ~TracefsTrigger();

  int err() const noexcept { return err_; }
  bool active() const noexcept { return err_ == 0; }
  const std::string& spec() const noexcept { return spec_; }
  const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
  std::string spec_;
  TriggerRemoval removal_;
  int err_ = 0;
};

}  // namespace copylab::trace

// Entering a named network namespace (/run/netns/<name>, as `ip netns add` makes them) for the
// calling thread only, and leaving it again: sockets, XSKs and XDP attachments created inside
// the scope belong to that namespace.
#pragma once

#include <string>
#include <string_view>

namespace copylab {

// True if /run/netns/<name> exists and is a network namespace.
bool netns_exists(std::string_view name);

// Throws Error(kExitUsage) naming the fix when the namespace does not exist.
void require_netns(std::string_view name);

// The name under /run/netns of the calling thread's network namespace; "" if it has none there
// (e.g. the host's namespace, or one made without `ip netns`). For error messages and reports.
std::string current_netns_name();

// RAII: setns(CLONE_NEWNET) into <name> for the calling thread; the destructor switches the
// thread back to the namespace it was in. An empty name means "stay where we are" (no-op), so
// tools can pass an optional --netns straight through. Bound to one thread: not movable.
class NetnsScope {
 public:
  explicit NetnsScope(std::string_view name);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

  const std::string& name() const noexcept { return name_; }
  bool entered() const noexcept { return original_fd_ >= 0; }

 private:
  std::string name_;
  int original_fd_ = -1;  // the thread's namespace before entering
};

}  // namespace copylab

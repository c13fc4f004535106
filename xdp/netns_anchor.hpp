// Remembers the network namespace a kernel resource was created in, so its destructor can undo
// it there (XDP detach goes through netlink, which resolves the ifindex in the *current*
// namespace) even when the owning thread has since moved to another one.
#pragma once

#include "common/function_ref.hpp"

namespace copylab {

class NetnsAnchor {
 public:
  NetnsAnchor();  // the calling thread's namespace
  NetnsAnchor(const NetnsAnchor&) = delete;
  NetnsAnchor& operator=(const NetnsAnchor&) = delete;
  ~NetnsAnchor();

  // Runs `f` in the anchored namespace, entering it (and coming back) only if the thread moved.
  // Returns false if the namespace could not be entered (f did not run).
  bool run(FunctionRef<void()> f) const noexcept;

 private:
  int fd_ = -1;
};

}  // namespace copylab

// A kernel module loaded by this process and unloaded when its owner goes away: finit_module(2)
// on construction, delete_module(2) on destruction (also when an error or SIGINT/SIGTERM unwinds
// the stack). Refuses to touch a module of the same name that someone else loaded.
#pragma once

#include <string>

namespace copylab::kmod {

class LoadedModule {
 public:
  // `name` is the module's name as /proc/modules lists it; `params` e.g. "comm=a,b burst=10".
  LoadedModule(const std::string& path, std::string name, const std::string& params);
  ~LoadedModule();
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;
  LoadedModule(LoadedModule&&) = delete;
  LoadedModule& operator=(LoadedModule&&) = delete;

  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

// Whether /proc/modules lists `name` (in any state).
bool module_loaded(const std::string& name);

}  // namespace copylab::kmod

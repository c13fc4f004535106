// What a .ko file says about itself before anything is loaded: its module name and vermagic from
// .modinfo, and whether a signature is appended. Lets copylab refuse a module built for another
// kernel with one line instead of finit_module's bare ENOEXEC.
#pragma once

#include <string>

namespace copylab::kmod {

struct ModuleFileInfo {
  std::string path;
  std::string name;  // .modinfo name= (e.g. copyprobe)
  std::string
      vermagic;  // .modinfo vermagic= (e.g. "6.1.0-56-amd64 SMP preempt mod_unload modversions")
  bool is_signed = false;  // "~Module signature appended~" trailer present

  // The kernel release the module was built for (vermagic's first word).
  std::string release() const;
};

// Throws Error when the file cannot be read or has no .modinfo name/vermagic (not a module).
ModuleFileInfo inspect_module_file(const std::string& path);

}  // namespace copylab::kmod

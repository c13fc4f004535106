// Can this machine run copyprobe.ko for `copylab compare --backend kmod`? The one place that
// decides it: module and kprobe support come from evidence/'s capability probes (the ones `copylab
// doctor` prints); what only the module needs is checked here: signature enforcement and
// lockdown (copyprobe.ko is unsigned), a module for the running kernel (a prebuilt one whose
// vermagic matches, or headers to build one), and CAP_SYS_MODULE.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "evidence/capabilities.hpp"

namespace copylab::kmod {

struct KmodAvailability {
  bool available = false;
  std::string release;  // uname -r
  std::string reason;   // unavailable: why (one clause); available: what will be loaded
  std::string fix;      // unavailable: what to do instead
};

// `prebuilt_module`: --kmod-module PATH, or "" to build copyprobe.ko against the running
// kernel's headers (/lib/modules/$(uname -r)/build).
KmodAvailability kmod_availability(const trace::Capabilities& caps,
                                   const std::string& prebuilt_module);

std::string kernel_release();
std::string kernel_build_dir(const std::string& release);  // /lib/modules/<release>/build

nlohmann::json to_json(const KmodAvailability& a);
// "available (…)" or "unavailable: <reason>. Fix: <fix>"
std::string format_kmod_availability(const KmodAvailability& a);

}  // namespace copylab::kmod

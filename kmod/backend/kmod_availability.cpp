#include "kmod/backend/kmod_availability.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <fstream>

#include "common/error.hpp"
#include "common/privilege.hpp"
#include "kmod/backend/module_build.hpp"
#include "kmod/backend/module_file.hpp"

namespace copylab::kmod {
namespace {

constexpr const char* kElsewhere =
    "use --backend bpf, or `copylab lab` (Debian's stock kernel under qemu, which has modules and "
    "kprobes)";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The lockdown mode from trace's probe ("mode integrity (...)"); "none" when there is no
// lockdown LSM. Anything unrecognised counts as active: refusing is safer than a failed load.
std::string lockdown_mode(const trace::Capabilities& caps) {
  const trace::Capability* c = caps.find("lockdown");
  if (c == nullptr || c->evidence.rfind("no lockdown", 0) == 0) return "none";
  if (c->evidence.rfind("mode ", 0) == 0) {
    const auto end = c->evidence.find(' ', 5);
    return c->evidence.substr(5, end == std::string::npos ? std::string::npos : end - 5);
  }
  return c->evidence;
}

KmodAvailability no(const std::string& release, std::string reason, std::string fix) {
  return {false, release, std::move(reason), std::move(fix)};
}

}  // namespace

std::string kernel_release() {
  utsname u{};
  return ::uname(&u) == 0 ? u.release : "?";
}

std::string kernel_build_dir(const std::string& release) {
  return "/lib/modules/" + release + "/build";
}

KmodAvailability kmod_availability(const trace::Capabilities& caps,
                                   const std::string& prebuilt_module) {
  const std::string rel = kernel_release();
  const trace::Capability* modules = caps.find("modules");
  if (modules == nullptr || !modules->ok) {
    return no(rel,
              "kernel " + rel + " has no loadable module support (" +
                  (modules ? modules->evidence : std::string("not probed")) + ")",
              kElsewhere);
  }
  const trace::Capability* kprobes = caps.find("kprobes");
  if (kprobes == nullptr || !kprobes->ok) {
    return no(rel,
              "kernel " + rel + " has no usable kprobes (" +
                  (kprobes ? kprobes->evidence : std::string("not probed")) + ")",
              kElsewhere);
  }

  // The module to load: a prebuilt one must be for this kernel; otherwise we build one.
  bool module_signed = false;
  std::string what;
  if (!prebuilt_module.empty()) {
    const ModuleFileInfo info = inspect_module_file(prebuilt_module);
    if (info.name != "copyprobe") {
      return no(rel, prebuilt_module + " is module '" + info.name + "', not copyprobe",
                "give the copyprobe.ko built from kmod/ (--kmod-module PATH)");
    }
    if (info.release() != rel) {
      return no(rel,
                prebuilt_module + " was built for kernel " + info.release() + ", this is " + rel,
                "build it for " + rel + " (leave out --kmod-module: copylab builds it against " +
                    kernel_build_dir(rel) + ")");
    }
    module_signed = info.is_signed;
    what = "prebuilt " + prebuilt_module;
  } else {
    if (!exists(kernel_build_dir(rel) + "/Makefile")) {
      return no(
          rel, "no build tree for kernel " + rel + " in " + kernel_build_dir(rel),
          "install the headers of the running kernel (Debian: apt-get install linux-headers-" +
              rel + "), or give --kmod-module PATH to a copyprobe.ko built for " + rel);
    }
    const std::string src = copyprobe_source_dir();
    if (!exists(src + "/Kbuild")) {
      return no(rel, "copyprobe's sources are not at " + src + " (copylab was moved from its tree)",
                "give --kmod-module PATH to a copyprobe.ko built for " + rel);
    }
    what = "copyprobe.ko built against " + kernel_build_dir(rel);
  }

  // copyprobe.ko as built here is unsigned: refused under signature enforcement or lockdown.
  if (!module_signed) {
    if (first_line("/sys/module/module/parameters/sig_enforce") == "Y") {
      return no(
          rel,
          "kernel " + rel +
              " only loads signed modules (module.sig_enforce=Y) and copyprobe.ko is unsigned",
          "sign it with your MOK key (scripts/sign-file) and give it with --kmod-module, or " +
              std::string(kElsewhere));
    }
    const std::string lockdown = lockdown_mode(caps);
    if (lockdown != "none") {
      return no(rel, "kernel lockdown is '" + lockdown + "', which refuses unsigned modules",
                "sign copyprobe.ko and give it with --kmod-module, or boot without lockdown "
                "(Secure Boot), or " +
                    std::string(kElsewhere));
    }
  }
  if (!has_capability(Privilege::kSysModule)) {
    return no(rel, "loading a module needs CAP_SYS_MODULE", "run copylab as root");
  }
  return {true, rel, what + " (kernel " + rel + ": modules and kprobes available)", ""};
}

nlohmann::json to_json(const KmodAvailability& a) {
  nlohmann::json j{{"available", a.available}, {"kernel", a.release}, {"reason", a.reason}};
  if (!a.fix.empty()) j["fix"] = a.fix;
  return j;
}

std::string format_kmod_availability(const KmodAvailability& a) {
  return a.available ? "available: " + a.reason : "unavailable: " + a.reason + ". Fix: " + a.fix;
}

}  // namespace copylab::kmod

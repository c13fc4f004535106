#include "kmod/backend/loaded_module.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "common/error.hpp"

namespace copylab::kmod {
namespace {

std::string load_fix(int err, const std::string& path) {
  switch (err) {
    case EPERM:
      return "run as root; if you are root, the kernel refuses modules (kernel.modules_disabled=1 "
             "or lockdown): use --backend bpf, or `copylab lab`";
    case ENOEXEC:
      return "build " + path + " for the running kernel (leave out --kmod-module)";
    case EKEYREJECTED:
    case ENOKEY:
    case EBADMSG:
      return "sign the module with a key the kernel trusts (scripts/sign-file), or use --backend "
             "bpf";
    case EEXIST:
      return "another process loaded it at the same moment: wait for it to finish";
    case ENOENT:
      return "the module registered no kprobe (see dmesg | tail): use --backend bpf";
    default:
      return "see dmesg | tail";
  }
}

}  // namespace

bool module_loaded(const std::string& name) {
  std::ifstream in("/proc/modules");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, name.size() + 1, name + " ") == 0) return true;
  }
  return false;
}

LoadedModule::LoadedModule(const std::string& path, std::string name, const std::string& params)
    : name_(std::move(name)) {
  if (module_loaded(name_)) {
    throw Error(name_ +
                    " is already loaded (by another copylab run or by hand); copylab will not "
                    "use or unload a module it did not load",
                "wait for that run to finish, or unload it yourself: rmmod " + name_);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open", path, errno, "give a readable copyprobe.ko (--kmod-module PATH)");
  const long rc = ::syscall(SYS_finit_module, fd, params.c_str(), 0);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_errno("finit_module", path + " (" + params + ")", err, load_fix(err, path));
  spdlog::info("kmod: loaded {} ({})", path, params);
}

LoadedModule::~LoadedModule() {
  // O_NONBLOCK: fail rather than wait if a reader still holds it; retry briefly, then say so.
  int err = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::syscall(SYS_delete_module, name_.c_str(), O_NONBLOCK) == 0) {
      spdlog::info("kmod: unloaded {}", name_);
      return;
    }
    err = errno;
    if (err != EAGAIN && err != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  spdlog::error("kmod: delete_module({}): {}. Fix: rmmod {}", name_, errno_text(err), name_);
}

}  // namespace copylab::kmod

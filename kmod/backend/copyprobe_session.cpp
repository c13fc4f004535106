#include "kmod/backend/copyprobe_session.hpp"

#include <cerrno>
#include <fstream>
#include <iterator>
#include <type_traits>

#include "common/error.hpp"
#include "common/stop.hpp"
#include "kmod/backend/module_build.hpp"

namespace copylab::kmod {
namespace {

constexpr const char* kProcFile = "/proc/copyprobe";
constexpr std::size_t kMaxList = 8;  // MAX_COMMS and COPYPROBE_NWATCH in the module

template <typename T>
std::string joined(const std::vector<T>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ',';
    if constexpr (std::is_same_v<T, std::string>) {
      out += i;
    } else {
      out += std::to_string(i);
    }
  }
  return out;
}

}  // namespace

std::string module_params(const SessionOptions& o) {
  if (o.comms.size() > kMaxList || o.watch.size() > kMaxList)
    throw Error("copyprobe takes at most 8 task names and 8 watched lengths",
                "pass fewer names/lengths", kExitUsage);
  for (const auto& c : o.comms) {
    if (c.empty() || c.find_first_of(", \t\n") != std::string::npos)
      throw Error("copyprobe task name '" + c + "' is empty or contains a separator",
                  "pass plain task names", kExitUsage);
  }
  std::string p = "burst=" + std::to_string(o.burst);
  if (!o.comms.empty()) p += " comm=" + joined(o.comms);
  if (!o.watch.empty()) p += " watch=" + joined(o.watch);
  if (o.print_watched && !o.watch.empty()) p += " print_watched=1";
  return p;
}

CopyprobeSession::CopyprobeSession(const SessionOptions& opts, const KmodAvailability& a) {
  if (!a.available)
    throw Error("kprobe module copyprobe unavailable: " + a.reason, a.fix, kExitUnsupported);
  path_ = opts.prebuilt_module.empty() ? build_copyprobe(a.release) : opts.prebuilt_module;
  params_ = module_params(opts);
  module_ = std::make_unique<LoadedModule>(path_, "copyprobe", params_);
  // A signal during the load: unwind now (the destructor unloads).
  if (stop_requested()) throw Error("interrupted", "", stop_exit_code());
}

void CopyprobeSession::reset() {
  std::ofstream f(kProcFile);
  f << "reset";
  f.flush();
  if (!f) throw_errno("write 'reset' to", kProcFile, errno, "check that copyprobe is still loaded");
}

CopyprobeCounters CopyprobeSession::read() const {
  std::ifstream f(kProcFile);
  if (!f) throw_errno("open", kProcFile, errno, "check that copyprobe is still loaded");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return parse_copyprobe_counters(text);
}

}  // namespace copylab::kmod

// copyprobe.ko loaded for the length of one experiment: the module (prebuilt or built for the
// running kernel) loaded with copylab's filters, its exact counters reset between runs and read
// after each, and the module unloaded when the session ends (RAII, also on errors and signals).
//
//   KmodAvailability a = kmod_availability(trace::probe_capabilities(...), opts.prebuilt_module);
//   CopyprobeSession s(opts, a);   // throws Error(kExitUnsupported) when !a.available
//   s.reset(); ...traffic...; CopyprobeCounters c = s.read();
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kmod/backend/copyprobe_counters.hpp"
#include "kmod/backend/kmod_availability.hpp"
#include "kmod/backend/loaded_module.hpp"

namespace copylab::kmod {

struct SessionOptions {
  std::string prebuilt_module;       // --kmod-module PATH; "" = build for the running kernel
  std::vector<std::string> comms;    // task names counted at the task-scoped sites (<= 8)
  std::vector<std::uint64_t> watch;  // copy lengths always counted exactly (<= 8)
  int burst = 10;                    // dmesg lines per second per site
  bool print_watched = true;         // print only calls of a watched length
};

// "comm=a,b burst=10 watch=64,106 print_watched=1"; throws Error on more than 8 names/lengths.
std::string module_params(const SessionOptions& o);

class CopyprobeSession {
 public:
  CopyprobeSession(const SessionOptions& opts, const KmodAvailability& availability);

  void reset();                    // zero every counter (call with no traffic running)
  CopyprobeCounters read() const;  // the counters now

  const std::string& module_path() const noexcept { return path_; }
  const std::string& params() const noexcept { return params_; }

 private:
  std::string path_;
  std::string params_;
  std::unique_ptr<LoadedModule> module_;
};

}  // namespace copylab::kmod

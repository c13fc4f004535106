#include "traffic/run_output.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "common/error.hpp"
#include "common/stop.hpp"

#include <unistd.h>

namespace copylab {

void wait_for_start(const RunOutputOptions& opts) {
  if (opts.start_after_file.empty()) return;
  constexpr int kMaxWaitMs = 60'000;
  for (int waited = 0; waited < kMaxWaitMs && !stop_requested(); waited += 2) {
    if (access(opts.start_after_file.c_str(), F_OK) == 0) return;
    usleep(2000);
  }
  if (stop_requested()) return;
  throw Error("--start-after-file " + opts.start_after_file + " did not appear within 60 s",
              "create the file to start sending, or drop --start-after-file");
}

void signal_ready(const RunOutputOptions& opts) {
  if (opts.ready_file.empty()) return;
  std::ofstream f(opts.ready_file);
  f << "ready\n";
  if (!f) throw_errno("create ready file", opts.ready_file, errno, "check the path is writable");
}

}  // namespace copylab

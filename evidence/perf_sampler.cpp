#include "evidence/perf_sampler.hpp"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "common/error.hpp"

namespace copylab::trace {
namespace {

// "0-1,4" → {0,1,4}
std::vector<int> online_cpus() {
  std::vector<int> cpus;
  std::ifstream in("/sys/devices/system/cpu/online");
  std::string spec;
  if (!(in >> spec)) {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 0; i < n; ++i) cpus.push_back(i);
    return cpus;
  }
  std::size_t pos = 0;
  while (pos < spec.size()) {
    const std::size_t comma = spec.find(',', pos);
    const std::string part = spec.substr(pos, comma == std::string::npos ? std::string::npos
                                                                         : comma - pos);
    const std::size_t dash = part.find('-');
    const int lo = std::stoi(part.substr(0, dash));
    const int hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return cpus;
}

}  // namespace

int open_cpu_clock_event(int cpu, int hz) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = static_cast<__u64>(hz);
  const long fd = ::syscall(SYS_perf_event_open, &attr, -1 /* every task */, cpu, -1,
                            PERF_FLAG_FD_CLOEXEC);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

PerfSampler::PerfSampler(bpf_program* prog, int hz) {
  for (int cpu : online_cpus()) {
    const int fd = open_cpu_clock_event(cpu, hz);
    if (fd < 0) {
      reason_ = fmt::format("perf_event_open(cpu-clock, cpu {}): {}", cpu, errno_text(-fd));
      links_.clear();
      return;
    }
    bpf_link* link = bpf_program__attach_perf_event(prog, fd);
    if (!link) {
      const int err = errno;
      ::close(fd);
      reason_ = fmt::format("attach BPF to perf event (cpu {}): {}", cpu, errno_text(err));
      links_.clear();
      return;
    }
    links_.emplace_back(link);
  }
}

}  // namespace copylab::trace

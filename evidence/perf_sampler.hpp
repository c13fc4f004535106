// cpu-clock sampling on every online CPU with a BPF program attached to each perf event.
#pragma once

#include <bpf/libbpf.h>

#include <string>
#include <vector>

#include "evidence/bpf_handles.hpp"

namespace copylab::trace {

class PerfSampler {
 public:
  // Opens one cpu-clock event per online CPU at `hz` and attaches `prog`. Never throws for a
  // refused perf_event_open: active() is false and reason() says why.
  PerfSampler(bpf_program* prog, int hz);
  PerfSampler(const PerfSampler&) = delete;
  PerfSampler& operator=(const PerfSampler&) = delete;
  ~PerfSampler() = default;  // links own the perf fds (libbpf closes them on destroy)

  bool active() const noexcept { return !links_.empty(); }
  const std::string& reason() const noexcept { return reason_; }
  int cpus() const noexcept { return static_cast<int>(links_.size()); }
  void stop() noexcept { links_.clear(); }

 private:
  std::vector<BpfLinkPtr> links_;
  std::string reason_;
};

// perf_event_open(cpu-clock sampling) on `cpu`: fd, or -errno.
int open_cpu_clock_event(int cpu, int hz);

}  // namespace copylab::trace

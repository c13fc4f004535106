// RAII owners for libbpf handles the cross-check creates: links detach and perf events close in
// the destructor, on every exit path (errors, signals unwinding through stop_requested()).
#pragma once

#include <bpf/libbpf.h>

#include <memory>

namespace copylab::trace {

struct BpfLinkDeleter {
  void operator()(bpf_link* l) const noexcept { bpf_link__destroy(l); }
};
using BpfLinkPtr = std::unique_ptr<bpf_link, BpfLinkDeleter>;

}  // namespace copylab::trace

// libxdp wants a BPF filesystem for its attach lock and dispatcher state. Where none is mounted
// at /sys/fs/bpf, copylab mounts a private one for the life of the run and points LIBXDP_BPFFS
// at it; the last user unmounts and removes it, so nothing pinned outlives the run (and a run
// killed before that leaves it in its run record for the next run to unmount). The path is
// fixed per process (libxdp reads LIBXDP_BPFFS once and caches it), so a later acquire remounts
// at the same place.
#pragma once

#include <memory>
#include <string>

#include "common/run_registry.hpp"

namespace copylab {

class BpffsMount {
 public:
  ~BpffsMount();
  BpffsMount(const BpffsMount&) = delete;
  BpffsMount& operator=(const BpffsMount&) = delete;

  // The bpffs libxdp will use: the system one if mounted, else a private one (shared by every
  // holder in this process). Throws Error if a private one can't be mounted.
  static std::shared_ptr<BpffsMount> acquire();
  const std::string& path() const noexcept { return path_; }
  bool is_private() const noexcept { return private_; }

 private:
  BpffsMount(std::string path, bool is_private) : path_(std::move(path)), private_(is_private) {}
  std::string path_;
  bool private_;
  OwnedState record_;  // a private mount in this run's record
};

}  // namespace copylab

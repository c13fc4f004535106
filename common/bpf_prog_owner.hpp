// Who an XDP program on a device belongs to, read from the kernel: its name (bpf_prog_info) and
// the processes holding it open (a "prog_id:" line in /proc/<pid>/fdinfo of a bpf-prog or
// bpf_link fd, see fs/proc/fd.c and kernel/bpf/syscall.c bpf_prog_show_fdinfo). A copylab
// program that no process holds is left over from a run that is gone.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace copylab {

struct ProgHolder {
  pid_t pid = 0;
  std::string cmd;
};

// The program's name as the kernel keeps it (at most 15 characters); "" if it can't be read.
std::string bpf_prog_name(std::uint32_t prog_id);
// True for the names of copylab's XDP programs (the AF_XDP steering program and latency's
// reflector and pass-through).
bool is_copylab_xdp_name(const std::string& name);
// Processes with an fd on the program or on a link to it (this process excluded).
std::vector<ProgHolder> bpf_prog_holders(std::uint32_t prog_id);
// Detaches program `prog_id` from `ifindex` in the calling thread's network namespace, only if
// it is still the one attached (XDP_FLAGS_REPLACE with its fd). Returns 0 or a positive errno.
int detach_xdp_prog(int ifindex, std::uint32_t prog_id);

// What to do about an XDP program found on a device a tool wants: a stale copylab program is
// detached (one info line) and the call returns; a live copylab run's program or anyone else's
// throws Error. `foreign_fix` is the fix named for someone else's program.
void claim_xdp_device(int ifindex, const std::string& dev, std::uint32_t prog_id,
                      const std::string& foreign_fix);

}  // namespace copylab

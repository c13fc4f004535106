// Kernel code bytes and the call sites in them: where a function that cannot be probed itself
// (notrace, e.g. _copy_from_iter on Debian's 6.1) is called, so a kprobe on the `call`
// instruction sees the copy's arguments in the argument registers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace copylab::trace {

// Reads `len` bytes of kernel memory at virtual address `addr` from /proc/kcore (root,
// CAP_SYS_RAWIO, not under lockdown=confidentiality). Throws copylab::Error naming the cause.
std::vector<std::uint8_t> read_kernel_text(std::uint64_t addr, std::size_t len,
                                           const std::string& kcore = "/proc/kcore");

// Offsets (from `base`, the address of code[0]) of x86-64 direct `call rel32` (E8) and
// `jmp rel32` (E9, a tail call) instructions whose target is `target`. A byte pattern inside a
// longer instruction could match too: the kernel refuses a kprobe that is not on an instruction
// boundary (EILSEQ), so a false match is refused, never misplaced.
std::vector<std::uint32_t> find_call_sites(std::span<const std::uint8_t> code, std::uint64_t base,
                                           std::uint64_t target);

}  // namespace copylab::trace

// Fuzzes the /proc/kallsyms parser and the address resolution built on it: any text either
// gives a symbol table or throws copylab::Error; every resolved address lies inside its symbol.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "evidence/kallsyms.hpp"

using copylab::Error;
using copylab::trace::KernelSymbols;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const KernelSymbols ks = KernelSymbols::parse(in, "fuzz input");
    // Probe addresses taken from the input's own bytes and the edges of the address space.
    std::uint64_t probes[] = {0, 1, UINT64_MAX, 0xffffffff81000000ULL, 0};
    for (std::size_t i = 0; i < size && i < 8; ++i) probes[4] = probes[4] << 8 | data[i];
    for (const std::uint64_t a : probes) {
      if (const auto r = ks.resolve(a)) {
        if (r->size == 0 || r->offset >= r->size) __builtin_trap();
        const auto base = ks.address_of(r->name);
        if (!base) __builtin_trap();
      }
      (void)ks.format(a);
    }
  } catch (const Error&) {
  }
  return 0;
}

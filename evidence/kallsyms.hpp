// Kernel symbol resolution from /proc/kallsyms: address → "func+0xoff/0xsize", name → address.
// Needs real addresses (root, kptr_restrict honoured): an all-zero table is reported, not used.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace copylab::trace {

struct ResolvedSymbol {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;  // distance to the next symbol (what %pS prints after the slash)
  // "name+0xoff/0xsize", the format of ftrace's stack traces.
  std::string format() const;
};

class KernelSymbols {
 public:
  // Reads the text symbols of `path`. Throws copylab::Error if it cannot be read or if every
  // address is zero (kptr_restrict: not root).
  static KernelSymbols load(const std::string& path = "/proc/kallsyms");
  // The same from text in kallsyms format; `origin` names it in errors. Lines that are not
  // "<hex address> <type> <name>" are skipped.
  static KernelSymbols parse(std::istream& in, const std::string& origin);

  std::optional<ResolvedSymbol> resolve(std::uint64_t addr) const;
  // "name+0xoff/0xsize", or "0x<addr>" when the address is outside every known symbol.
  std::string format(std::uint64_t addr) const;
  std::optional<std::uint64_t> address_of(std::string_view name) const;
  std::size_t size() const noexcept { return syms_.size(); }

 private:
  struct Sym {
    std::uint64_t addr;
    std::string name;
  };
  std::vector<Sym> syms_;  // sorted by address
};

}  // namespace copylab::trace

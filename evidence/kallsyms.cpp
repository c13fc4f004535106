#include "evidence/kallsyms.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.hpp"

namespace copylab::trace {

std::string ResolvedSymbol::format() const {
  return fmt::format("{}+{:#x}/{:#x}", name, offset, size);
}

KernelSymbols KernelSymbols::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw_errno("open", path, errno, "run as root on a kernel with /proc/kallsyms");
  return parse(in, path);
}

KernelSymbols KernelSymbols::parse(std::istream& in, const std::string& origin) {
  KernelSymbols ks;
  std::string line;
  bool any_nonzero = false;
  while (std::getline(in, line)) {
    // "ffffffff81000000 T _text [module]"
    std::istringstream ls(line);
    std::string addr_s, type, name;
    if (!(ls >> addr_s >> type >> name)) continue;
    // Text symbols only: stacks point into code.
    if (type.empty() || (type[0] != 't' && type[0] != 'T' && type[0] != 'w' && type[0] != 'W'))
      continue;
    std::uint64_t addr = 0;
    const char* end = addr_s.data() + addr_s.size();
    const auto [ptr, ec] = std::from_chars(addr_s.data(), end, addr, 16);
    if (ec != std::errc() || ptr != end) continue;  // not a 64-bit hex address
    if (addr != 0) any_nonzero = true;
    ks.syms_.push_back({addr, std::move(name)});
  }
  if (ks.syms_.empty() || !any_nonzero) {
    throw Error(fmt::format("{} shows no kernel addresses (kptr_restrict)", origin),
                "run as root (kernel.kptr_restrict must allow root to see addresses)");
  }
  std::stable_sort(ks.syms_.begin(), ks.syms_.end(),
                   [](const Sym& a, const Sym& b) { return a.addr < b.addr; });
  return ks;
}

std::optional<ResolvedSymbol> KernelSymbols::resolve(std::uint64_t addr) const {
  auto it = std::upper_bound(syms_.begin(), syms_.end(), addr,
                             [](std::uint64_t a, const Sym& s) { return a < s.addr; });
  if (it == syms_.begin()) return std::nullopt;
  const Sym& sym = *std::prev(it);
  // Several names can share one address (aliases): the size is to the next *different* address.
  auto next = it;
  while (next != syms_.end() && next->addr == sym.addr) ++next;
  if (next == syms_.end()) return std::nullopt;  // past the last text symbol
  return ResolvedSymbol{sym.name, addr - sym.addr, next->addr - sym.addr};
}

std::string KernelSymbols::format(std::uint64_t addr) const {
  if (auto r = resolve(addr)) return r->format();
  return fmt::format("{:#x}", addr);
}

std::optional<std::uint64_t> KernelSymbols::address_of(std::string_view name) const {
  for (const Sym& s : syms_) {
    if (s.name == name) return s.addr;
  }
  return std::nullopt;
}

}  // namespace copylab::trace

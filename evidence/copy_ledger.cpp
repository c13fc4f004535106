#include "evidence/copy_ledger.hpp"

#include <seccomp.h>

#include <cstdlib>
#include <utility>

#include <fmt/format.h>

namespace copylab::trace {

const char* to_string(Measured m) noexcept {
  switch (m) {
    case Measured::kExactTracepoint: return "exact count (tracepoint)";
    case Measured::kSampled: return "sampled (stack profile)";
    case Measured::kExactCopyFunction: return "exact at the copy function (kprobe)";
    case Measured::kUnavailable: return "not measurable on this kernel";
    case Measured::kExactKernelCounter: return "exact count (kernel counter)";
    case Measured::kNotCollected: return "not collected in this run";
  }
  return "?";
}

std::string LedgerLine::measured_text() const {
  return how.empty() || !available() ? to_string(measured) : how;
}

std::uint64_t LedgerLine::calls_of_len(std::uint64_t len) const {
  for (const auto& [l, n] : lens)
    if (l == len) return n;
  return 0;
}

std::uint64_t CopyLedger::count(std::string_view id) const {
  for (const LedgerLine& l : lines)
    if (l.id == id) return l.count;
  return 0;
}

std::uint64_t CopyLedger::bytes(std::string_view id) const {
  for (const LedgerLine& l : lines)
    if (l.id == id) return l.bytes;
  return 0;
}

const LedgerLine* CopyLedger::line(std::string_view id) const {
  for (const LedgerLine& l : lines)
    if (l.id == id) return &l;
  return nullptr;
}

bool CopyLedger::available(std::string_view id) const {
  const LedgerLine* l = line(id);
  return l && l->available();
}

std::uint64_t CopyLedger::frees_in(std::string_view event, std::string_view function) const {
  std::uint64_t n = 0;
  for (const SkbFreeSite& f : skb_frees)
    if (f.event == event && f.function == function && f.sampled_every == 1) n += f.count;
  return n;
}

std::uint64_t CopyLedger::syscalls_total() const {
  std::uint64_t n = 0;
  for (const SyscallCount& s : syscalls) n += s.count;
  return n;
}

std::uint64_t CopyLedger::syscalls_named(std::string_view name) const {
  std::uint64_t n = 0;
  for (const SyscallCount& s : syscalls)
    if (s.name == name) n += s.count;
  return n;
}

std::string syscall_name(std::uint32_t id) {
  // libseccomp's syscall table for the architecture this binary runs on: the raw_syscalls
  // tracepoints report the caller's native number. A number newer than the library stays numbered.
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(id));
  if (name == nullptr) return fmt::format("syscall_{}", id);
  std::string s = name;
  std::free(name);  // NOLINT(cppcoreguidelines-no-malloc): libseccomp returns malloc'd memory
  return s;
}

nlohmann::json to_json(const CopyLedger& l) {
  nlohmann::json lines = nlohmann::json::array();
  for (const LedgerLine& x : l.lines) {
    nlohmann::json j = {{"id", x.id},
                        {"what", x.what},
                        {"tracepoint", x.tracepoint},
                        {"count", x.count},
                        {"bytes", x.bytes},
                        {"measured", x.measured_text()}};
    if (!x.lens.empty()) {
      nlohmann::json lens = nlohmann::json::object();
      for (const auto& [len, n] : x.lens) lens[std::to_string(len)] = n;
      j["lens"] = std::move(lens);
    }
    if (!x.available()) {
      // null, not 0: nothing was measured.
      j["count"] = nullptr;
      j["bytes"] = nullptr;
      j["unavailable"] = x.unavailable;
    }
    lines.push_back(std::move(j));
  }
  nlohmann::json frees = nlohmann::json::array();
  for (const SkbFreeSite& f : l.skb_frees) {
    frees.push_back({{"event", f.event},
                     {"location", f.location},
                     {"function", f.function},
                     {"reason", f.reason},
                     {"count", f.count},
                     {"sampled_every", f.sampled_every}});
  }
  nlohmann::json sys = nlohmann::json::array();
  for (const SyscallCount& s : l.syscalls)
    sys.push_back({{"tgid", s.tgid}, {"id", s.id}, {"name", s.name}, {"count", s.count}});
  nlohmann::json samples = nlohmann::json::array();
  for (const PayloadSample& s : l.payload_samples) {
    samples.push_back({{"where", s.where},
                       {"seq", s.seq},
                       {"skb", fmt::format("{:#x}", s.skb)},
                       {"head", fmt::format("{:#x}", s.head)},
                       {"data", fmt::format("{:#x}", s.data)},
                       {"payload", fmt::format("{:#x}", s.payload)},
                       {"len", s.len},
                       {"ifindex", s.ifindex},
                       {"tgid", s.tgid}});
  }
  return {{"scope", to_json(l.scope)},
          {"duration_s", l.duration_s},
          {"lines", std::move(lines)},
          {"skb_frees", std::move(frees)},
          {"skb_location_gap", l.skb_location_gap},
          {"syscalls", std::move(sys)},
          {"syscalls_total", l.syscalls_total()},
          {"syscalls_gap", l.syscalls_gap},
          {"payload_samples", std::move(samples)}};
}

std::string format_ledger(const CopyLedger& l) {
  std::string out = fmt::format("Copy ledger ({:.2f} s; scope: {})\n", l.duration_s,
                                l.scope.describe());
  out += fmt::format("  {:<28} {:>10} {:>12}  {:<26} {}\n", "line", "count", "bytes", "measured",
                     "marker");
  for (const LedgerLine& x : l.lines) {
    if (x.available()) {
      // A line with its own `how` names its marker in it (kprobe lines): not printed twice.
      out += fmt::format("  {:<28} {:>10} {:>12}  {:<26} {}\n", x.id, x.count, x.bytes,
                         x.measured_text(), x.how.empty() ? x.tracepoint : "");
    } else {
      out += fmt::format("  {:<28} {:>10} {:>12}  {}: {}\n", x.id, "-", "-",
                         to_string(x.measured), x.unavailable);
    }
  }
  for (const LedgerLine& x : l.lines) {
    if (x.lens.empty()) continue;
    std::string lens;
    std::size_t shown = 0;
    for (const auto& [len, n] : x.lens) {
      if (++shown > 6) {
        lens += fmt::format(" (+{} more)", x.lens.size() - 6);
        break;
      }
      lens += fmt::format("{}{}B x{}", lens.empty() ? "" : ", ", len, n);
    }
    out += fmt::format("  lengths copied at {}: {}\n", x.id, lens);
  }
  if (!l.skb_location_gap.empty())
    out += fmt::format("  skb free locations incomplete: {}\n", l.skb_location_gap);
  if (!l.skb_frees.empty()) {
    out += "  skb frees by location (tracepoint; exact unless marked 1/N, a sample of 1 free in N):\n";
    for (const SkbFreeSite& f : l.skb_frees) {
      out += fmt::format("    {:<11} {:<44} {:>10}{}{}\n", f.event, f.location, f.count,
                         f.sampled_every > 1 ? fmt::format(" 1/{}", f.sampled_every) : "",
                         f.event == "kfree_skb" ? fmt::format("  reason {}", f.reason) : "");
    }
  }
  if (!l.syscalls.empty())
    out += fmt::format("  syscalls of the experiment's processes: {}\n", l.syscalls_total());
  else if (!l.syscalls_gap.empty())
    out += fmt::format("  syscalls: {}\n", l.syscalls_gap);
  if (!l.payload_samples.empty()) {
    out += "  payload found in kernel buffers (first samples):\n";
    out += fmt::format("    {:<22} {:>6} {:>18} {:>18} {:>18}\n", "where", "seq", "skb", "head",
                       "payload");
    std::size_t shown = 0;
    for (const PayloadSample& s : l.payload_samples) {
      if (++shown > 6) break;
      out += fmt::format("    {:<22} {:>6} {:>#18x} {:>#18x} {:>#18x}\n", s.where, s.seq, s.skb,
                         s.head, s.payload);
    }
  }
  return out;
}

}  // namespace copylab::trace

// copyprobe.ko's exact per-site counters as /proc/copyprobe prints them (kmod/copyprobe_stats.c):
//
//   # copyprobe comm=sock_sender,sock_receiver pid=0 burst=20
//   site=COPY1 symbol=_copy_from_iter scope=task state=attached calls=1013 hits=1001 bytes=200036
//     printed=20 suppressed=981 nmissed=0 lens=200:1000,242:0,36:1 lens_other=0
//
// Parsing only: reading the file and resetting it belong to CopyprobeSession.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace copylab::kmod {

struct SiteCounters {
  std::string site;    // COPY1, COPY1_CSUM, COPY2, COPY4, COPY4_CSUM, XSK_TX, XSK_XMIT, XSK_RX, ...
  std::string symbol;  // the kernel function the kprobe sits on
  std::string scope;   // "task" (comm/pid filter applies) or "all" (softirq sites: every task)
  std::string state;   // "attached" or "unavailable(err=N)"
  std::uint64_t calls = 0, hits = 0, bytes = 0, printed = 0, suppressed = 0, nmissed = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> lens;  // (copy length, hits), module order
  std::uint64_t lens_other = 0;  // hits whose length did not fit the table

  bool attached() const noexcept { return state == "attached"; }
  // Hits that copied exactly `len` bytes. nullopt when `len` is not in the table and the table
  // overflowed (lens_other > 0): then a count could hide there, so zero is not provable.
  std::optional<std::uint64_t> hits_of_len(std::uint64_t len) const;
};

struct CopyprobeCounters {
  std::string filter;  // the header after "# copyprobe ": comm=… pid=… burst=…
  std::vector<SiteCounters> sites;
  const SiteCounters* site(std::string_view name) const;
};

// Throws Error naming the line when the text is not copyprobe's format.
CopyprobeCounters parse_copyprobe_counters(std::string_view text);

nlohmann::json to_json(const CopyprobeCounters& c);

}  // namespace copylab::kmod

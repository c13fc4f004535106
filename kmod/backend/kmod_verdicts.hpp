// The copy verdict table from copyprobe's exact counters, through the one verdict builder
// (trace::build_verdicts) with the module's adapter: the same rows (COPY #1 … #4 and the
// kernel copies AF_XDP copy mode adds) as evidence/'s BPF verdicts, counted at the copy functions
// themselves. Printed with trace::format_verdicts / trace::to_json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kmod/backend/copyprobe_counters.hpp"
#include "evidence/verdict.hpp"
#include "xdp/xdp_mode.hpp"

namespace copylab::kmod {

struct KmodPathRun {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  const CopyprobeCounters* counters = nullptr;
  std::optional<XdpMode> xdp_mode;  // AF_XDP: as read back from the kernel
  bool zero_copy = false;
};

trace::VerdictTable make_kmod_verdicts(const KmodPathRun& socket, const KmodPathRun& af_xdp,
                                       std::uint64_t payload, const std::string& zero_copy_note);

}  // namespace copylab::kmod

// Fuzzes the parsers of the kernel counters compare reads: a /proc/net/snmp section and
// `ethtool -S` output. Any text gives a map of named numbers (never an exception).
#include <cstddef>
#include <cstdint>
#include <string>

#include "evidence/kernel_counters.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& counters : {copylab::parse_snmp_section(text, "Udp"),
                               copylab::parse_ethtool_stats(text)}) {
    // A name the parsers keep is never empty; the UDP struct keeps every counter it was given.
    for (const auto& [name, value] : counters) {
      if (name.empty()) __builtin_trap();
    }
    const copylab::UdpCounters udp = copylab::udp_counters_of(counters);
    if (udp.other.size() > counters.size()) __builtin_trap();
  }
  return 0;
}

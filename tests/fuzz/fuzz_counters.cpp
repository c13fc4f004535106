// Fuzzes the parsers of the kernel counters compare reads: a /proc/net/snmp section and
// `ethtool -S` output. Any text gives a JSON object of numbers (never an exception).
#include <cstddef>
#include <cstdint>
#include <string>

#include "evidence/kernel_counters.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& j : {copylab::parse_snmp_section(text, "Udp"),
                        copylab::parse_ethtool_stats(text)}) {
    if (!j.is_object()) __builtin_trap();
    for (const auto& [key, value] : j.items()) {
      if (!value.is_number_integer()) __builtin_trap();
    }
  }
  return 0;
}

// Fuzzes the parsers of command-line text: MAC and IPv4 addresses, the latency command's size,
// rate and pair lists, and --modes. Each must either return a value or throw copylab::Error (the
// one-line message with a fix that the tools print); any other exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "latency/modes.hpp"
#include "latency/options.hpp"
#include "packet/addr.hpp"

using namespace copylab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the parser; the rest is the text.
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 6) {
      case 0: {
        const MacAddr m = parse_mac(text, "--dst-mac");
        if (parse_mac(m.str()) != m) __builtin_trap();  // round trip
        break;
      }
      case 1: {
        const Ipv4Addr a = parse_ipv4(text, "--dst-ip");
        if (parse_ipv4(a.str()) != a) __builtin_trap();
        break;
      }
      case 2:
        parse_size_list(text, "--sizes");
        break;
      case 3:
        parse_rate_list(text, "--rates");
        break;
      case 4:
        parse_pair(text, "--netns");
        break;
      default:
        for (const ModeSpec& m : parse_modes(text)) {
          if (m.name.empty()) __builtin_trap();
        }
        break;
    }
  } catch (const Error& e) {
    if (e.one_line().empty()) __builtin_trap();
  }
  return 0;
}

// MAC and IPv4 addresses: parsing with errors that name the bad text and the expected form.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace copylab {

struct MacAddr {
  std::array<std::uint8_t, 6> bytes{};
  bool operator==(const MacAddr&) const = default;
  std::string str() const;  // "00:00:00:00:00:02"
};

struct Ipv4Addr {
  std::uint32_t be = 0;  // network byte order, as it sits in the header
  bool operator==(const Ipv4Addr&) const = default;
  std::string str() const;  // "10.0.0.2"
};

// Throw Error(kExitUsage) naming `what` (e.g. "--dst-mac") for malformed text.
MacAddr parse_mac(std::string_view text, std::string_view what = "MAC address");
Ipv4Addr parse_ipv4(std::string_view text, std::string_view what = "IPv4 address");

}  // namespace copylab

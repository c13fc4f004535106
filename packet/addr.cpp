#include "packet/addr.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <string>

#include "common/error.hpp"

namespace copylab {

std::string MacAddr::str() const {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

std::string Ipv4Addr::str() const {
  char buf[INET_ADDRSTRLEN];
  in_addr a{};
  a.s_addr = be;
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

MacAddr parse_mac(std::string_view text, std::string_view what) {
  // Exactly six two-digit hex groups separated by ':' (or '-').
  MacAddr mac;
  bool ok = text.size() == 17;
  for (std::size_t i = 0; ok && i < 6; ++i) {
    const int hi = hex_value(text[i * 3]);
    const int lo = hex_value(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) ok = false;
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') ok = false;
    if (ok) mac.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  if (!ok) {
    throw Error(std::string(what) + ": '" + std::string(text) + "' is not a MAC address",
                "write it as six hex pairs, e.g. 00:00:00:00:00:02", kExitUsage);
  }
  return mac;
}

Ipv4Addr parse_ipv4(std::string_view text, std::string_view what) {
  in_addr a{};
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
    throw Error(std::string(what) + ": '" + s + "' is not an IPv4 address",
                "write it in dotted-quad form, e.g. 10.0.0.2", kExitUsage);
  }
  return Ipv4Addr{a.s_addr};
}

}  // namespace copylab

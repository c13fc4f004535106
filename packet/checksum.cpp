#include "packet/checksum.hpp"

namespace copylab {

std::uint32_t checksum_partial(std::span<const std::uint8_t> data, std::uint32_t sum) noexcept {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += static_cast<std::uint32_t>(data[i]) << 8 | data[i + 1];
  }
  if (i < data.size()) sum += static_cast<std::uint32_t>(data[i]) << 8;  // odd byte, zero-padded
  return sum;
}

std::uint16_t checksum_fold(std::uint32_t sum) noexcept {
  while ((sum >> 16) != 0) sum = (sum & 0xffffU) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffffU);
}

std::uint16_t ipv4_header_checksum(std::span<const std::uint8_t> header) noexcept {
  return checksum_fold(checksum_partial(header));
}

std::uint16_t udp4_checksum(std::uint32_t src_be, std::uint32_t dst_be,
                            std::span<const std::uint8_t> udp_segment) noexcept {
  // Pseudo-header: source, destination, zero, protocol 17, UDP length.
  const auto* s = reinterpret_cast<const std::uint8_t*>(&src_be);
  const auto* d = reinterpret_cast<const std::uint8_t*>(&dst_be);
  std::uint32_t sum = 0;
  sum += static_cast<std::uint32_t>(s[0]) << 8 | s[1];
  sum += static_cast<std::uint32_t>(s[2]) << 8 | s[3];
  sum += static_cast<std::uint32_t>(d[0]) << 8 | d[1];
  sum += static_cast<std::uint32_t>(d[2]) << 8 | d[3];
  sum += 17U;
  sum += static_cast<std::uint32_t>(udp_segment.size() & 0xffffU);
  const std::uint16_t folded = checksum_fold(checksum_partial(udp_segment, sum));
  return folded == 0 ? 0xffff : folded;
}

}  // namespace copylab

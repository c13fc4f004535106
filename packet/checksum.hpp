// Internet checksums (RFC 1071) for IPv4 headers and UDP over IPv4 (with the pseudo-header).
#pragma once

#include <cstdint>
#include <span>

namespace copylab {

// One's-complement sum of 16-bit big-endian words, not folded, not inverted.
std::uint32_t checksum_partial(std::span<const std::uint8_t> data, std::uint32_t sum = 0) noexcept;
// Folds a partial sum to 16 bits and inverts it; the value to store in a header (host order).
std::uint16_t checksum_fold(std::uint32_t sum) noexcept;
std::uint16_t ipv4_header_checksum(std::span<const std::uint8_t> header) noexcept;
// UDP checksum over pseudo-header + UDP header + payload (udp_segment includes the UDP header
// with its checksum field as stored). A result of 0 is sent as 0xffff (RFC 768).
std::uint16_t udp4_checksum(std::uint32_t src_be, std::uint32_t dst_be,
                            std::span<const std::uint8_t> udp_segment) noexcept;

}  // namespace copylab

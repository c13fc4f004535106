// The one frame format: Ethernet II / IPv4 (no options) / UDP. Built in place (into a UMEM frame
// or a user buffer) and parsed without copying.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "packet/addr.hpp"

namespace copylab {

inline constexpr std::size_t kEthHeaderLen = 14;
inline constexpr std::size_t kIpv4HeaderLen = 20;
inline constexpr std::size_t kUdpHeaderLen = 8;
inline constexpr std::size_t kHeadersLen = kEthHeaderLen + kIpv4HeaderLen + kUdpHeaderLen;  // 42
inline constexpr std::size_t kMaxUdpPayloadForMtu1500 = 1500 - kIpv4HeaderLen - kUdpHeaderLen;

struct FrameSpec {
  MacAddr src_mac;
  MacAddr dst_mac;
  Ipv4Addr src_ip;
  Ipv4Addr dst_ip;
  std::uint16_t src_port = 9000;
  std::uint16_t dst_port = 9999;
  std::uint8_t ttl = 64;
};

// The default recipe: 00:00:00:00:00:01 / 10.0.0.1:9000 → 00:00:00:00:00:02 / 10.0.0.2:9999.
FrameSpec standard_frame_spec();

inline constexpr std::size_t frame_len(std::size_t payload_len) { return kHeadersLen + payload_len; }

// The payload region of a frame buffer: where the caller writes the UDP payload before
// finalize_frame() fills in the headers and checksums.
inline std::span<std::uint8_t> frame_payload(std::span<std::uint8_t> frame) {
  return frame.subspan(kHeadersLen);
}

// Writes Ethernet/IPv4/UDP headers for `payload_len` bytes of payload already in place at
// frame[42..] and computes both checksums. `frame` must hold frame_len(payload_len) bytes.
// Returns the frame length.
std::size_t finalize_frame(std::span<std::uint8_t> frame, const FrameSpec& spec,
                           std::size_t payload_len, std::uint16_t ip_id = 0) noexcept;

// A frame's UDP checksum field as the receiving kernel judges it (IPv4).
enum class UdpChecksum {
  kNone,     // 0: the sender computed none, which RFC 768 allows over IPv4
  kFull,     // complete and correct
  // CHECKSUM_PARTIAL (include/linux/skbuff.h): TX checksum offload was on and the frame never
  // reached a device that completes it (veth), so the field holds only the folded pseudo-header
  // sum that udp4_hwcsum()/udp_set_csum() (net/ipv4/udp.c) store for the device to finish.
  kPartial,
  kBad,  // anything else: the kernel drops the datagram and counts Udp InCsumErrors
};

struct ParsedFrame {
  FrameSpec spec;
  std::span<const std::uint8_t> payload;
  bool ip_checksum_ok = false;  // a bad header checksum: ip_rcv_core() drops it (Ip InCsumErrors)
  UdpChecksum udp_checksum = UdpChecksum::kBad;
  // What the kernel's receive path would deliver to a socket: both checksums acceptable.
  bool checksums_acceptable() const noexcept {
    return ip_checksum_ok && udp_checksum != UdpChecksum::kBad;
  }
};

// Parses an Ethernet/IPv4/UDP frame; nullopt if it is anything else or truncated/inconsistent.
std::optional<ParsedFrame> parse_frame(std::span<const std::uint8_t> frame) noexcept;

// Swaps MACs, IPs and ports in place (the pong of a ping-pong) and recomputes both checksums.
void reflect_frame(std::span<std::uint8_t> frame) noexcept;

}  // namespace copylab

#include "packet/frame.hpp"

#include <algorithm>
#include <cstring>

#include "packet/checksum.hpp"

namespace copylab {
namespace {

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::size_t kIpOff = kEthHeaderLen;
constexpr std::size_t kUdpOff = kEthHeaderLen + kIpv4HeaderLen;

void put16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v & 0xffU);
}
std::uint16_t get16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(static_cast<unsigned>(p[0]) << 8 | p[1]);
}

void write_checksums(std::uint8_t* f, std::size_t udp_len) noexcept {
  put16(f + kIpOff + 10, 0);
  put16(f + kIpOff + 10, ipv4_header_checksum({f + kIpOff, kIpv4HeaderLen}));
  std::uint32_t src = 0;
  std::uint32_t dst = 0;
  std::memcpy(&src, f + kIpOff + 12, 4);
  std::memcpy(&dst, f + kIpOff + 16, 4);
  put16(f + kUdpOff + 6, 0);
  put16(f + kUdpOff + 6, udp4_checksum(src, dst, {f + kUdpOff, udp_len}));
}

UdpChecksum classify_udp_checksum(const std::uint8_t* ip, const std::uint8_t* udp,
                                  std::size_t udp_len) noexcept {
  const std::uint16_t field = get16(udp + 6);
  if (field == 0) return UdpChecksum::kNone;
  // Pseudo-header: source, destination, zero, protocol 17, UDP length.
  std::uint32_t pseudo = 0;
  for (std::size_t i = 12; i < 20; i += 2) {
    pseudo += static_cast<std::uint32_t>(ip[i]) << 8 | ip[i + 1];
  }
  pseudo += kProtoUdp;
  pseudo += static_cast<std::uint32_t>(udp_len);
  // Summing a segment that includes a correct checksum gives 0 after folding and inverting.
  if (checksum_fold(checksum_partial({udp, udp_len}, pseudo)) == 0) return UdpChecksum::kFull;
  // udp4_hwcsum() stores ~csum_tcpudp_magic(saddr, daddr, len, IPPROTO_UDP, 0): the folded
  // pseudo-header sum, not inverted. Its inverse (csum_tcpudp_magic() as is) is recognised too,
  // so a sender that stores that form is not called corrupt; any other value is a wrong checksum.
  const std::uint16_t inverted = checksum_fold(pseudo);
  const auto folded = static_cast<std::uint16_t>(~inverted & 0xffffU);
  if (field == folded || field == inverted) return UdpChecksum::kPartial;
  return UdpChecksum::kBad;
}

}  // namespace

FrameSpec standard_frame_spec() {
  FrameSpec s;
  s.src_mac = parse_mac("00:00:00:00:00:01");
  s.dst_mac = parse_mac("00:00:00:00:00:02");
  s.src_ip = parse_ipv4("10.0.0.1");
  s.dst_ip = parse_ipv4("10.0.0.2");
  s.src_port = 9000;
  s.dst_port = 9999;
  return s;
}

std::size_t finalize_frame(std::span<std::uint8_t> frame, const FrameSpec& spec,
                           std::size_t payload_len, std::uint16_t ip_id) noexcept {
  std::uint8_t* f = frame.data();
  std::memcpy(f, spec.dst_mac.bytes.data(), 6);
  std::memcpy(f + 6, spec.src_mac.bytes.data(), 6);
  put16(f + 12, kEtherTypeIpv4);

  std::uint8_t* ip = f + kIpOff;
  const std::size_t udp_len = kUdpHeaderLen + payload_len;
  ip[0] = 0x45;  // version 4, IHL 5
  ip[1] = 0;     // DSCP/ECN
  put16(ip + 2, static_cast<std::uint16_t>(kIpv4HeaderLen + udp_len));
  put16(ip + 4, ip_id);
  put16(ip + 6, 0x4000);  // DF, no fragments
  ip[8] = spec.ttl;
  ip[9] = kProtoUdp;
  std::memcpy(ip + 12, &spec.src_ip.be, 4);
  std::memcpy(ip + 16, &spec.dst_ip.be, 4);

  std::uint8_t* udp = f + kUdpOff;
  put16(udp, spec.src_port);
  put16(udp + 2, spec.dst_port);
  put16(udp + 4, static_cast<std::uint16_t>(udp_len));
  write_checksums(f, udp_len);
  return frame_len(payload_len);
}

std::optional<ParsedFrame> parse_frame(std::span<const std::uint8_t> frame) noexcept {
  if (frame.size() < kHeadersLen) return std::nullopt;
  const std::uint8_t* f = frame.data();
  if (get16(f + 12) != kEtherTypeIpv4) return std::nullopt;
  const std::uint8_t* ip = f + kIpOff;
  if (ip[0] != 0x45 || ip[9] != kProtoUdp) return std::nullopt;  // IPv4 without options, UDP
  const std::size_t ip_total = get16(ip + 2);
  if (ip_total < kIpv4HeaderLen + kUdpHeaderLen || kEthHeaderLen + ip_total > frame.size()) {
    return std::nullopt;
  }
  if ((get16(ip + 6) & 0x3fffU) != 0) return std::nullopt;  // fragments are not ours
  const std::uint8_t* udp = f + kUdpOff;
  const std::size_t udp_len = get16(udp + 4);
  if (udp_len < kUdpHeaderLen || udp_len != ip_total - kIpv4HeaderLen) return std::nullopt;

  ParsedFrame out;
  std::copy_n(f + 6, 6, out.spec.src_mac.bytes.begin());
  std::copy_n(f, 6, out.spec.dst_mac.bytes.begin());
  std::memcpy(&out.spec.src_ip.be, ip + 12, 4);
  std::memcpy(&out.spec.dst_ip.be, ip + 16, 4);
  out.spec.ttl = ip[8];
  out.spec.src_port = get16(udp);
  out.spec.dst_port = get16(udp + 2);
  out.payload = frame.subspan(kHeadersLen, udp_len - kUdpHeaderLen);
  out.ip_checksum_ok = checksum_fold(checksum_partial({ip, kIpv4HeaderLen})) == 0;
  out.udp_checksum = classify_udp_checksum(ip, udp, udp_len);
  return out;
}

void reflect_frame(std::span<std::uint8_t> frame) noexcept {
  std::uint8_t* f = frame.data();
  std::uint8_t tmp[6];
  std::memcpy(tmp, f, 6);
  std::memcpy(f, f + 6, 6);
  std::memcpy(f + 6, tmp, 6);
  std::uint8_t* ip = f + kIpOff;
  std::memcpy(tmp, ip + 12, 4);
  std::memcpy(ip + 12, ip + 16, 4);
  std::memcpy(ip + 16, tmp, 4);
  std::uint8_t* udp = f + kUdpOff;
  std::memcpy(tmp, udp, 2);
  std::memcpy(udp, udp + 2, 2);
  std::memcpy(udp + 2, tmp, 2);
  // Recompute both: a frame from a socket sender on veth carries only a partial UDP sum.
  write_checksums(f, get16(udp + 4));
}

}  // namespace copylab

#include "packet/payload.hpp"

#include <cstring>

namespace copylab {
namespace {

constexpr std::size_t kCheckOffset = 28;

std::uint32_t fnv1a(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint32_t h = 2166136261U;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 16777619U;
  }
  return h;
}

// Deterministic fill after the header: depends on seq and position, so a byte moved, dropped or
// flipped anywhere in the payload is caught.
inline std::uint8_t fill_byte(std::uint64_t seq, std::size_t i) noexcept {
  return static_cast<std::uint8_t>((seq * 0x9E3779B1ULL + i * 131U) >> 3);
}

void serialize(const PayloadHeader& h, std::uint8_t* out) noexcept {
  std::memcpy(out + 0, &h.magic, 4);
  out[4] = h.version;
  out[5] = h.flags;
  std::memcpy(out + 6, &h.header_len, 2);
  std::memcpy(out + 8, &h.seq, 8);
  std::memcpy(out + 16, &h.send_ns, 8);
  std::memcpy(out + 24, &h.payload_len, 4);
  const std::uint32_t zero = 0;
  std::memcpy(out + kCheckOffset, &zero, 4);
  const std::uint32_t check = fnv1a(out, kPayloadHeaderLen);
  std::memcpy(out + kCheckOffset, &check, 4);
}

}  // namespace

void write_payload(std::span<std::uint8_t> payload, std::uint64_t seq, std::uint64_t send_ns,
                   std::uint8_t flags) noexcept {
  PayloadHeader h;
  h.seq = seq;
  h.send_ns = send_ns;
  h.flags = flags;
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  serialize(h, payload.data());
  for (std::size_t i = kPayloadHeaderLen; i < payload.size(); ++i) payload[i] = fill_byte(seq, i);
}

void set_payload_flags(std::span<std::uint8_t> payload, std::uint8_t flags) noexcept {
  payload[5] = flags;
  const std::uint32_t zero = 0;
  std::memcpy(payload.data() + kCheckOffset, &zero, 4);
  const std::uint32_t check = fnv1a(payload.data(), kPayloadHeaderLen);
  std::memcpy(payload.data() + kCheckOffset, &check, 4);
}

const char* to_string(PayloadStatus s) noexcept {
  switch (s) {
    case PayloadStatus::kOk: return "ok";
    case PayloadStatus::kTooShort: return "shorter than the payload header";
    case PayloadStatus::kBadMagic: return "bad magic";
    case PayloadStatus::kBadVersion: return "unknown version";
    case PayloadStatus::kBadCheck: return "header check mismatch";
    case PayloadStatus::kBadLength: return "length differs from the header";
    case PayloadStatus::kBadFill: return "payload bytes corrupted";
  }
  return "?";
}

PayloadStatus read_payload(std::span<const std::uint8_t> payload, PayloadHeader& h) noexcept {
  if (payload.size() < kPayloadHeaderLen) return PayloadStatus::kTooShort;
  const std::uint8_t* p = payload.data();
  std::memcpy(&h.magic, p + 0, 4);
  if (h.magic != kPayloadMagic) return PayloadStatus::kBadMagic;
  h.version = p[4];
  if (h.version != kPayloadVersion) return PayloadStatus::kBadVersion;
  h.flags = p[5];
  std::memcpy(&h.header_len, p + 6, 2);
  std::memcpy(&h.seq, p + 8, 8);
  std::memcpy(&h.send_ns, p + 16, 8);
  std::memcpy(&h.payload_len, p + 24, 4);
  std::memcpy(&h.check, p + kCheckOffset, 4);
  std::uint8_t copy[kPayloadHeaderLen];
  std::memcpy(copy, p, kPayloadHeaderLen);
  std::memset(copy + kCheckOffset, 0, 4);
  if (fnv1a(copy, kPayloadHeaderLen) != h.check || h.header_len != kPayloadHeaderLen) {
    return PayloadStatus::kBadCheck;
  }
  if (h.payload_len != payload.size()) return PayloadStatus::kBadLength;
  for (std::size_t i = kPayloadHeaderLen; i < payload.size(); ++i) {
    if (p[i] != fill_byte(h.seq, i)) return PayloadStatus::kBadFill;
  }
  return PayloadStatus::kOk;
}

}  // namespace copylab

// The payload header every datapath carries (first 32 bytes of the UDP payload), and the
// deterministic fill after it so the receiver can detect corruption byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace copylab {

inline constexpr std::uint32_t kPayloadMagic = 0x42'4C'50'43;  // "CPLB" little-endian
inline constexpr std::uint8_t kPayloadVersion = 1;
inline constexpr std::size_t kPayloadHeaderLen = 32;
inline constexpr std::size_t kMinPayloadLen = kPayloadHeaderLen;

enum PayloadFlags : std::uint8_t {
  kFlagWarmup = 1U << 0,  // not counted in latency statistics
  kFlagPing = 1U << 1,    // expects an echo
  kFlagPong = 1U << 2,    // is an echo
};

struct PayloadHeader {
  std::uint32_t magic = kPayloadMagic;
  std::uint8_t version = kPayloadVersion;
  std::uint8_t flags = 0;
  std::uint16_t header_len = kPayloadHeaderLen;
  std::uint64_t seq = 0;
  std::uint64_t send_ns = 0;   // CLOCK_MONOTONIC_RAW when the sender wrote the payload
  std::uint32_t payload_len = 0;
  std::uint32_t check = 0;     // FNV-1a over the other header fields
};

// Writes header + deterministic fill (derived from seq) into `payload` (all of it).
// payload.size() must be >= kMinPayloadLen.
void write_payload(std::span<std::uint8_t> payload, std::uint64_t seq, std::uint64_t send_ns,
                   std::uint8_t flags = 0) noexcept;

enum class PayloadStatus { kOk, kTooShort, kBadMagic, kBadVersion, kBadCheck, kBadLength, kBadFill };
const char* to_string(PayloadStatus s) noexcept;

// Reads the header (no alignment assumptions) and validates header, length and fill.
PayloadStatus read_payload(std::span<const std::uint8_t> payload, PayloadHeader& out) noexcept;

// Rewrites only the flags (and the header check) in place: the pong marks an echo.
void set_payload_flags(std::span<std::uint8_t> payload, std::uint8_t flags) noexcept;

}  // namespace copylab

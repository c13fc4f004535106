// Fuzzes what every receiver does with a frame off the wire: parse_frame (Ethernet/IPv4/UDP and
// the checksum verdicts), the payload checks and the validator's sequence bookkeeping, and the
// in-place reflection of a ping. Properties checked besides "no crash, no UB":
//   - a parsed payload lies inside the frame;
//   - a frame finalize_frame() rebuilds from the parsed fields has both checksums right.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "packet/frame.hpp"
#include "packet/payload.hpp"
#include "packet/validator.hpp"

using namespace copylab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> frame(data, size);
  const auto parsed = parse_frame(frame);

  // The validator sees the payload of every frame (empty when the frame is not ours), twice, so
  // the duplicate path runs too; and the raw bytes as a payload of any length.
  Validator v;
  v.observe(parsed ? parsed->payload : std::span<const std::uint8_t>{});
  v.observe(parsed ? parsed->payload : std::span<const std::uint8_t>{});
  v.observe(frame);
  if (v.counts().received != 3 || v.counts().unique + v.counts().duplicates +
                                          v.counts().corrupt != 3) {
    std::abort();
  }
  Validator fixed(64);
  fixed.observe(frame);

  if (!parsed) return 0;
  const std::uint8_t* p = parsed->payload.data();
  if (p < data + kHeadersLen || p + parsed->payload.size() > data + size) std::abort();

  // Rebuild from the parsed fields: both checksums must come out right.
  std::vector<std::uint8_t> copy(frame_len(parsed->payload.size()));
  std::copy(parsed->payload.begin(), parsed->payload.end(), frame_payload(copy).begin());
  finalize_frame(copy, parsed->spec, parsed->payload.size());
  const auto again = parse_frame(copy);
  if (!again || !again->ip_checksum_ok || again->udp_checksum != UdpChecksum::kFull) std::abort();

  // Reflecting a frame (what the pong does in place) keeps it parseable with valid checksums.
  std::vector<std::uint8_t> pong(data, data + size);
  reflect_frame(pong);
  const auto back = parse_frame(pong);
  if (!back || !back->ip_checksum_ok || back->udp_checksum == UdpChecksum::kBad) std::abort();
  return 0;
}

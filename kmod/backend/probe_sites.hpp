// copyprobe's sites as the experiment reads them: which copy each one is, which length marks the
// experiment's own payload there (payload, payload + 42 with the Ethernet/IP/UDP headers, or
// + 28 once the Ethernet header is pulled), and whether it counts per frame sent or received.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kmod/backend/copyprobe_counters.hpp"

namespace copylab::kmod {

struct ProbeSite {
  const char* site;       // the module's name: COPY1, XSK_TX, ...
  const char* what;       // one phrase
  unsigned header_bytes;  // added to the payload length to get the copy length seen there
  bool per_sent;          // counted per frame sent (transmit side) or per frame received
  bool is_copy;  // a copy function; false: the skb's hand-off to the device (no copy on veth)
};

const std::vector<ProbeSite>& probe_sites();
const ProbeSite* find_probe_site(const std::string& site);

// Hits of `site` at the experiment's length. nullopt: site absent/unattached, or the length is
// not provable (the length table overflowed).
std::optional<std::uint64_t> payload_hits(const CopyprobeCounters& c, const ProbeSite& site,
                                          std::uint64_t payload);

// COPY #1 and COPY #4 each have two copy functions: the plain copy (_copy_from_iter,
// _copy_to_iter) and the checksumming copy the kernel uses instead when the checksum is not
// offloaded or not yet verified (csum_and_copy_from_iter_full, csum_and_copy_to_iter). Exactly
// one of them copies a given datagram, so the copy's count is their sum.
struct UserCopySites {
  const char* plain;  // COPY1 / COPY4
  const char* csum;   // COPY1_CSUM / COPY4_CSUM
};
inline constexpr UserCopySites kCopy1Sites{"COPY1", "COPY1_CSUM"};
inline constexpr UserCopySites kCopy4Sites{"COPY4", "COPY4_CSUM"};

struct UserCopyHits {
  std::optional<std::uint64_t> hits;  // payload-length calls of both; nullopt: not countable
  bool csum_counted = false;          // the checksumming copy's site was attached too
  std::string symbols;                // "_copy_from_iter + csum_and_copy_from_iter_full"
};

// The payload-length calls of a user copy's sites: the plain site must be attached; the
// checksumming site is added when attached (a module built before it existed has only the plain).
UserCopyHits user_copy_hits(const CopyprobeCounters& c, const UserCopySites& sites,
                            std::uint64_t payload);

// "exact at the copy function (kprobe module copyprobe: _copy_from_iter)", or "… at the device
// hand-off (…: __dev_queue_xmit)" for the sites that are not copies.
std::string measured_at(const ProbeSite& site, const SiteCounters& s);

// One line per site: "COPY1 user buffer -> kernel …: 500 calls of 64 B = 1.00 per packet sent
// [exact at the copy function (kprobe module copyprobe: _copy_from_iter)]; 512 calls in all,
// nmissed 0".
std::vector<std::string> evidence_lines(const CopyprobeCounters& c, std::uint64_t payload,
                                        std::uint64_t sent, std::uint64_t received);

}  // namespace copylab::kmod

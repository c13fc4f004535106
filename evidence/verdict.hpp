// The verdict table of `copylab compare`: for each copy of a UDP datagram's path (COPY #1 … #4)
// and each kernel copy AF_XDP copy mode adds, the count per packet on each path, how it was
// measured, and the verdict: gone / still there / moved to <kernel site> / added / n/a.
//
//   PathEvidence sock{"socket", sent, received, &socket_result, std::nullopt};
//   PathEvidence xsk{"af_xdp", sent, received, &xdp_result, XdpMode::kNative};  // read back
//   VerdictTable v = make_verdicts(sock, xsk, zero_copy_note(caps));
//   std::cout << format_verdicts(v);  j["verdicts"] = to_json(v);
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "evidence/cross_check.hpp"
#include "xdp/xdp_mode.hpp"

namespace copylab::trace {

struct PathEvidence {
  std::string path;               // "socket" or "af_xdp" (label only)
  std::uint64_t sent = 0;         // datagrams/frames the sender handed to the kernel
  std::uint64_t received = 0;     // datagrams/frames the receiver got
  const CrossCheckResult* result = nullptr;  // the cross-check of this path's run
  std::optional<XdpMode> xdp_mode;  // AF_XDP: as read back from the kernel; none for sockets
  bool zero_copy = false;         // AF_XDP bound with XDP_ZEROCOPY (read back from XDP_OPTIONS)
};

struct VerdictCell {
  std::optional<double> per_packet;  // nullopt: not measurable / not applicable
  std::string measured;              // "exact count (tracepoint)", "sampled (stack profile)", ...
  std::string evidence;              // the numbers it rests on
};

struct VerdictRow {
  std::string id;      // "copy1", "copy2", "copy3", "copy4", "xsk_tx_copy", "xdp_headroom_copy", "xsk_rx_copy"
  std::string what;    // "COPY #1 user buffer -> kernel skb (send)"
  VerdictCell socket;
  VerdictCell af_xdp;
  std::string verdict; // "gone", "still there", "moved to ...", "added (copy mode)", "n/a on veth"
};

struct VerdictTable {
  std::vector<VerdictRow> rows;
  std::string summary;         // one paragraph: the honest claim
  std::string zero_copy_note;  // doctor's reason
};

// The verdict on a user<->kernel copy (COPY #1, COPY #4) from its cells on both paths, whichever
// backend counted them: "not measured" unless both have a per-packet count; "still there" when
// both paths copy (more than half a copy per packet); "gone", or "moved to <moved_to>" when the
// kernel copies instead, when only the socket path does; else "absent on both paths".
std::string user_copy_verdict(const VerdictCell& sock, const VerdictCell& xsk,
                              const std::string& moved_to);

VerdictTable make_verdicts(const PathEvidence& socket, const PathEvidence& af_xdp,
                           const std::string& zero_copy_note);

nlohmann::json to_json(const VerdictTable& v);
std::string format_verdicts(const VerdictTable& v);

}  // namespace copylab::trace

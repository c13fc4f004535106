// The verdict table of `copylab compare`: for each copy of a UDP datagram's path (COPY #1 … #4)
// and each kernel copy AF_XDP copy mode adds, the count per packet on each path, how it was
// measured, and the verdict: gone / still there / moved to <kernel site> / added / n/a.
//
// One builder (build_verdicts) draws the table from any backend's counts through an adapter
// (CopyCounts); make_verdicts is the BPF cross-check's:
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
  // The third column, when the same compare also ran AF_XDP bound zero-copy (add_zero_copy_column).
  std::optional<VerdictCell> af_xdp_zc;
  std::string verdict_zc;
};

struct VerdictTable {
  std::vector<VerdictRow> rows;
  std::string summary;         // one paragraph: the honest claim
  std::string summary_zc;      // the zero-copy column's, when there is one
  std::string zero_copy_note;  // doctor's reason
  bool has_zero_copy_column() const noexcept {
    return !rows.empty() && rows.front().af_xdp_zc.has_value();
  }
};

// The copies a verdict table has a row for, in the table's order.
enum class CopyRow { kCopy1, kCopy2, kCopy3, kCopy4, kXskTx, kHeadroom, kXskRx };

// The AF_XDP run's mode, as read back from the kernel.
struct AfXdpRunMode {
  std::optional<XdpMode> xdp_mode;
  bool zero_copy = false;
};

// One backend's measurement of one copy on both paths.
struct RowMeasure {
  VerdictCell socket;
  VerdictCell af_xdp;
  // The verdict when it rests on how this backend measured (e.g. a sampled copy, a pointer
  // hand-off); "" leaves it to the builder, which decides from the cells.
  std::string verdict;
};

// The adapter between one backend's counts of the two runs (the socket run and the AF_XDP run)
// and the verdict builder: the BPF cross-check (tracepoints, with its kprobe lines preferred where
// they ran; verdict_trace.cpp) and the kprobe module (kmod/backend/kmod_verdicts.cpp).
class CopyCounts {
 public:
  virtual ~CopyCounts() = default;
  virtual RowMeasure measure(CopyRow row, const AfXdpRunMode& mode) const = 0;
  // The function native XDP's headroom copy is counted in ("skb_pp_cow_data", ...).
  virtual std::string native_headroom_function() const = 0;
  // How COPY #1/#4 were counted, for the summary ("exact at sock:sock_send_length/...").
  virtual std::string how_user_copies_counted() const = 0;
  // Why COPY #1/#4 have no per-packet count on a path, for the summary.
  virtual std::string why_user_copies_not_counted() const = 0;
};

// The one verdict builder: rows in CopyRow order, the user<->kernel copies judged from their
// cells on both paths, the kernel copies from the backend's verdict or their cells, the summary.
VerdictTable build_verdicts(const CopyCounts& counts, const AfXdpRunMode& mode,
                            const std::string& zero_copy_note);

// The verdict on a user<->kernel copy (COPY #1, COPY #4) from its cells on both paths, whichever
// backend counted them: "not measured" unless both have a per-packet count; "still there" when
// both paths copy (more than half a copy per packet); "gone", or "moved to <moved_to>" when the
// kernel copies instead, when only the socket path does; else "absent on both paths".
std::string user_copy_verdict(const VerdictCell& sock, const VerdictCell& xsk,
                              const std::string& moved_to);

// The BPF cross-check's adapter over the two runs' results, then build_verdicts.
VerdictTable make_verdicts(const PathEvidence& socket, const PathEvidence& af_xdp,
                           const std::string& zero_copy_note);

// Socket vs AF_XDP copy mode (`copy_mode`) and socket vs AF_XDP zero-copy (`zero_copy`, built
// from the same socket run): the zero-copy table's AF_XDP cells and verdicts become the third
// column of `copy_mode`, row by row (same ids).
void add_zero_copy_column(VerdictTable& copy_mode, const VerdictTable& zero_copy);

// COPY #2/#3 (the device's TX/RX DMA) named for the experiment's driver: veth has no DMA (the
// backends' own rows say so); virtio_net's DMA is the hypervisor reading and writing guest memory,
// a copy outside the guest kernel that no guest probe counts: neither gone nor counted.
void name_device_dma(VerdictTable& table, const std::string& driver);

nlohmann::json to_json(const VerdictTable& v);
std::string format_verdicts(const VerdictTable& v);

}  // namespace copylab::trace

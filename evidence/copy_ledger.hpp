// The copy ledger of one run: for each copy marker, how often it fired for the experiment, how
// many bytes, and how that number was measured. Built by CrossCheck::stop().
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evidence/scope.hpp"

namespace copylab::trace {

enum class Measured {
  kExactTracepoint,    // every event counted in the kernel at a tracepoint
  kSampled,            // cpu-clock stack samples: where time goes, not how often
  kExactCopyFunction,  // counted at the copy function itself (kprobe/fentry backend)
  kUnavailable,        // this kernel lacks the marker: nothing was measured (not a zero)
  kExactKernelCounter, // a counter the kernel keeps itself (veth's per-queue XDP counters)
  kNotCollected,       // the marker was not attached in this run (its cost): not a zero
};
const char* to_string(Measured m) noexcept;

// Stable ids of the ledger lines (JSON keys, verdict inputs).
namespace ledger_id {
inline constexpr std::string_view kCopy1 = "copy1_user_to_kernel";  // sock_send_length AF_INET
inline constexpr std::string_view kXskTxKick = "xsk_tx_kick";       // sock_send_length AF_XDP
inline constexpr std::string_view kSendOther = "send_other_family";
inline constexpr std::string_view kSendError = "send_error";
inline constexpr std::string_view kCopy4 = "copy4_kernel_to_user";  // sock_recv_length AF_INET
inline constexpr std::string_view kXskRecvmsg = "xsk_recvmsg";
inline constexpr std::string_view kRecvOther = "recv_other_family";
inline constexpr std::string_view kRecvError = "recv_error";
inline constexpr std::string_view kDevQueue = "net_dev_queue";
inline constexpr std::string_view kDevStartXmit = "net_dev_start_xmit";
inline constexpr std::string_view kNetifReceiveSkb = "netif_receive_skb";
inline constexpr std::string_view kXdpRedirectXsk = "xdp_redirect_xskmap";
inline constexpr std::string_view kXdpRedirectOther = "xdp_redirect_other";
inline constexpr std::string_view kXdpRedirectErr = "xdp_redirect_err";
inline constexpr std::string_view kConsumeSkb = "consume_skb";
inline constexpr std::string_view kKfreeSkb = "kfree_skb";
// The kprobe backend: counted at the copy functions themselves (kprobe_backend.hpp).
inline constexpr std::string_view kKpCopy1 = "kprobe_copy1";              // _copy_from_iter in send syscalls
inline constexpr std::string_view kKpCopy1Other = "kprobe_copy_from_iter_other";
inline constexpr std::string_view kKpCopy4 = "kprobe_copy4";              // _copy_to_iter in recv syscalls
inline constexpr std::string_view kKpCopy4Other = "kprobe_copy_to_iter_other";
inline constexpr std::string_view kKpXskTxCopy = "kprobe_xsk_tx_copy";    // UMEM -> skb
inline constexpr std::string_view kKpXskRxCopy = "kprobe_xsk_rx_copy";    // xdp_buff -> UMEM
}  // namespace ledger_id

struct LedgerLine {
  std::string id;
  std::string what;        // one sentence: which copy / marker this is
  std::string tracepoint;  // "sock:sock_send_length family=AF_INET ret>0"
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  Measured measured = Measured::kExactTracepoint;
  std::string unavailable;  // kUnavailable: why ("tracepoint sock:sock_send_length missing ...")
  // How it was measured, in full, when to_string(measured) is not precise enough:
  // "exact at the copy function (kprobe _copy_from_iter)".
  std::string how;
  // Exact copy lengths (length, calls), for lines counted at a copy function.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> lens;

  std::string measured_text() const;
  // Calls that copied exactly `len` bytes (0 when no length table or no such length).
  std::uint64_t calls_of_len(std::uint64_t len) const;

  bool available() const noexcept {
    return measured != Measured::kUnavailable && measured != Measured::kNotCollected;
  }
};

// skb:consume_skb / skb:kfree_skb by the kernel function that freed the skb.
struct SkbFreeSite {
  std::string event;     // "consume_skb" or "kfree_skb"
  std::string location;  // symbolized: "skb_pp_cow_data+0x1a2/0x300"
  std::string function;  // "skb_pp_cow_data"
  std::uint32_t reason = 0;  // kfree_skb drop reason (enum skb_drop_reason)
  std::uint64_t count = 0;
  // 1: every free at this location counted; N: one free in N (per CPU) was recorded, so `count`
  // is the sampled frees, not all of them.
  std::uint32_t sampled_every = 1;
};

struct SyscallCount {
  pid_t tgid = 0;
  std::uint32_t id = 0;
  std::string name;  // "sendto", or "syscall_<n>"
  std::uint64_t count = 0;
};

// The payload the user wrote (seq) found in a kernel buffer: a table of virtual addresses.
struct PayloadSample {
  std::string where;  // "net:net_dev_queue" or "net:netif_receive_skb"
  std::uint64_t seq = 0;
  std::uint64_t skb = 0, head = 0, data = 0, payload = 0;
  std::uint32_t len = 0;
  std::uint32_t ifindex = 0;
  pid_t tgid = 0;
};

struct CopyLedger {
  ScopeSpec scope;
  double duration_s = 0;
  std::vector<LedgerLine> lines;
  std::vector<SkbFreeSite> skb_frees;
  std::vector<SyscallCount> syscalls;
  std::vector<PayloadSample> payload_samples;
  // Non-empty when this kernel's skb:consume_skb / skb:kfree_skb cannot say where skbs were
  // freed (e.g. consume_skb has no location argument before 6.3): skb_frees is then incomplete.
  std::string skb_location_gap;

  // 0 when the line is absent or not measurable (check available() first).
  std::uint64_t count(std::string_view id) const;
  std::uint64_t bytes(std::string_view id) const;
  // False when the line is absent or this kernel cannot measure it.
  bool available(std::string_view id) const;
  const LedgerLine* line(std::string_view id) const;
  // consume_skb/kfree_skb events freed in `function`, from exactly counted locations only (a
  // sampled location adds nothing: its count is not all of its frees).
  std::uint64_t frees_in(std::string_view event, std::string_view function) const;
  std::uint64_t syscalls_total() const;
  // Why syscalls is empty when it is ("" when it was collected).
  std::string syscalls_gap;
  std::uint64_t syscalls_named(std::string_view name) const;
};

nlohmann::json to_json(const CopyLedger& l);
std::string format_ledger(const CopyLedger& l);

// Name of an x86-64/arm64 syscall number for the syscalls copylab's paths use; "syscall_<n>"
// otherwise.
std::string syscall_name(std::uint32_t id);

}  // namespace copylab::trace

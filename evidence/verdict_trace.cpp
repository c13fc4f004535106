// The BPF cross-check's adapter to the verdict builder: exact counts at the tracepoints that mark
// each copy (sock_send_length / sock_recv_length, the XSKMAP redirect, the skb frees after the
// XDP copies), the kprobe lines counted at the copy functions themselves preferred where the
// kernel allowed them, and cpu-clock samples of the copy routines beside both.
#include "evidence/verdict.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace copylab::trace {
namespace {

constexpr const char* kExact = "exact count (tracepoint)";
constexpr const char* kSampled = "sampled (stack profile)";

std::optional<double> per(std::uint64_t n, std::uint64_t packets) {
  if (packets == 0) return std::nullopt;
  return static_cast<double>(n) / static_cast<double>(packets);
}

double site_share(const CrossCheckResult& r, const std::string& id) {
  const CopySite* s = r.copy_sites.site(id);
  return s ? s->share : 0.0;
}

std::uint64_t site_samples(const CrossCheckResult& r, const std::string& id) {
  const CopySite* s = r.copy_sites.site(id);
  return s ? s->samples : 0;
}

std::string sampled_text(const CrossCheckResult& r, const std::string& id, const char* fn) {
  if (r.copy_sites.total_samples == 0) return "no cpu-clock samples (sampling off)";
  return fmt::format("{} of {} kernel samples ({:.2f}%) in {}", site_samples(r, id),
                     r.copy_sites.kernel_samples, 100.0 * site_share(r, id), fn);
}

// The kprobe backend's line `id` when it ran: counted at the copy function itself.
const LedgerLine* kprobe_line(const CrossCheckResult& r, std::string_view id) {
  const LedgerLine* l = r.ledger.line(id);
  return l && l->available() && l->measured == Measured::kExactCopyFunction ? l : nullptr;
}

std::string kprobe_text(const LedgerLine& l, std::uint64_t packets) {
  return fmt::format("{} x {} for {} packets ({} bytes)", l.count, l.tracepoint, packets, l.bytes);
}

// A user<->kernel copy: counted at the copy function when the kprobe backend ran (preferred),
// else exactly at its tracepoint; the sampled copy routine beside either.
VerdictCell user_copy_cell(const CrossCheckResult& r, std::string_view line, std::string_view kp,
                           std::uint64_t packets, const std::string& site, const char* fn,
                           const char* tracepoint) {
  const LedgerLine* tp = r.ledger.line(line);
  const std::string tp_text =
      tp && !tp->available()
          ? tp->unavailable
          : fmt::format("{} x {} ({} bytes)", r.ledger.count(line), tracepoint, r.ledger.bytes(line));
  if (const LedgerLine* k = kprobe_line(r, kp))
    return {per(k->count, packets), k->measured_text(),
            fmt::format("{}; tracepoint: {}; {}", kprobe_text(*k, packets), tp_text,
                        sampled_text(r, site, fn))};
  if (tp && !tp->available())
    return {std::nullopt, to_string(Measured::kUnavailable),
            fmt::format("{}; {}", tp_text, sampled_text(r, site, fn))};
  const std::uint64_t n = r.ledger.count(line);
  return {per(n, packets), kExact,
          fmt::format("{} x {} for {} packets ({} bytes); {}", n, tracepoint, packets,
                      r.ledger.bytes(line), sampled_text(r, site, fn))};
}

// An AF_XDP kernel copy counted at its copy function, when the kprobe backend measured it.
std::optional<VerdictCell> kprobe_cell(const CrossCheckResult& r, std::string_view kp,
                                       std::uint64_t packets, const std::string& also) {
  const LedgerLine* k = kprobe_line(r, kp);
  if (!k) return std::nullopt;
  return VerdictCell{per(k->count, packets), k->measured_text(),
                     fmt::format("{}; {}", kprobe_text(*k, packets), also)};
}

// veth hands the skb to its peer by pointer: the same skb/head seen at net_dev_queue (sender) and
// netif_receive_skb (receiver) for one sequence number proves there was no copy in between.
std::string veth_handoff_evidence(const CopyLedger& l) {
  for (const PayloadSample& tx : l.payload_samples) {
    if (tx.where != "net:net_dev_queue") continue;
    for (const PayloadSample& rx : l.payload_samples) {
      if (rx.where == "net:netif_receive_skb" && rx.seq == tx.seq) {
        if (rx.head == tx.head)
          return fmt::format(
              "seq {}: same skb {:#x} and buffer head {:#x} at net_dev_queue and "
              "netif_receive_skb: the buffer moved by pointer (no DMA, no copy)",
              tx.seq, tx.skb, tx.head);
        return fmt::format("seq {}: buffer head {:#x} at net_dev_queue, {:#x} at "
                           "netif_receive_skb: different buffers",
                           tx.seq, tx.head, rx.head);
      }
    }
  }
  return "no payload sample seen at both net_dev_queue and netif_receive_skb";
}

bool same_buffer_proved(const CopyLedger& l) {
  return veth_handoff_evidence(l).find("same skb") != std::string::npos;
}

class TraceCopyCounts final : public CopyCounts {
 public:
  TraceCopyCounts(const PathEvidence& socket, const PathEvidence& af_xdp)
      : socket_(socket), af_xdp_(af_xdp), s_(*socket.result), x_(*af_xdp.result) {}

  RowMeasure measure(CopyRow row, const AfXdpRunMode& mode) const override {
    switch (row) {
      case CopyRow::kCopy1:
        return user_copy_row(ledger_id::kCopy1, ledger_id::kKpCopy1, socket_.sent, af_xdp_.sent,
                             "copy_from_iter", "_copy_from_iter", "sock:sock_send_length(AF_INET)");
      case CopyRow::kCopy4:
        return user_copy_row(ledger_id::kCopy4, ledger_id::kKpCopy4, socket_.received,
                             af_xdp_.received, "copy_to_iter", "_copy_to_iter",
                             "sock:sock_recv_length(AF_INET)");
      case CopyRow::kCopy2:
        return {handoff_cell(), {std::nullopt, "", "AF_XDP TX uses __dev_direct_xmit: no net_dev_queue sample"},
                dma_verdict()};
      case CopyRow::kCopy3:
        return {handoff_cell(), {std::nullopt, "", "no DMA on veth"}, dma_verdict()};
      case CopyRow::kXskTx:
        return xsk_tx(mode);
      case CopyRow::kHeadroom:
        return headroom(mode);
      case CopyRow::kXskRx:
        return xsk_rx(mode);
    }
    return {};
  }

  std::string native_headroom_function() const override { return "skb_pp_cow_data"; }

  std::string how_user_copies_counted() const override {
    return kprobe_line(x_, ledger_id::kKpCopy1) && kprobe_line(x_, ledger_id::kKpCopy4)
               ? "exact at _copy_from_iter/_copy_to_iter (BPF kprobes)"
               : "exact at sock:sock_send_length/sock_recv_length";
  }

  std::string why_user_copies_not_counted() const override {
    return "this kernel lacks the sock:sock_send_length/sock_recv_length tracepoints and the "
           "kprobe backend did not run";
  }

 private:
  // A user<->kernel copy on both paths, each counted per its own run's packets.
  RowMeasure user_copy_row(std::string_view line, std::string_view kp, std::uint64_t socket_packets,
                           std::uint64_t af_xdp_packets, const std::string& site, const char* fn,
                           const char* tracepoint) const {
    return {user_copy_cell(s_, line, kp, socket_packets, site, fn, tracepoint),
            user_copy_cell(x_, line, kp, af_xdp_packets, site, fn, tracepoint), ""};
  }

  VerdictCell handoff_cell() const {
    return {std::nullopt, "payload addresses (tracepoint samples)", veth_handoff_evidence(s_.ledger)};
  }
  std::string dma_verdict() const {
    return same_buffer_proved(s_.ledger) ? "n/a on veth (no DMA: the skb is handed over by pointer)"
                                         : "not measured (needs a NIC; veth has no DMA)";
  }

  RowMeasure xsk_tx(const AfXdpRunMode& mode) const {
    RowMeasure m;
    m.socket = {0.0, kSampled, sampled_text(s_, "skb_store_bits", "skb_store_bits")};
    // No tracepoint sits at this copy: its evidence is sampled, so no per-packet number is shown.
    m.af_xdp = {std::nullopt, kSampled,
                fmt::format("{} for {} frames; {}",
                            x_.ledger.available(ledger_id::kXskTxKick)
                                ? fmt::format("{} TX kicks (sock_send_length AF_XDP, exact)",
                                              x_.ledger.count(ledger_id::kXskTxKick))
                                : std::string("TX kicks not measurable on this kernel"),
                            af_xdp_.sent, sampled_text(x_, "skb_store_bits", "skb_store_bits"))};
    if (auto k = kprobe_cell(s_, ledger_id::kKpXskTxCopy, socket_.sent, "no AF_XDP socket on this path"))
      m.socket = *k;
    if (auto k = kprobe_cell(x_, ledger_id::kKpXskTxCopy, af_xdp_.sent,
                             sampled_text(x_, "skb_store_bits", "skb_store_bits")))
      m.af_xdp = *k;
    const LedgerLine* kp = kprobe_line(x_, ledger_id::kKpXskTxCopy);
    // Zero-copy: the verdict is the builder's, from the cell (gone only when counted 0).
    if (mode.zero_copy) return m;
    m.verdict = kp && kp->count > 0                       ? "added (copy mode; counted at the copy)"
                : kp                                      ? "none on this run (0 at the copy)"
                : site_samples(x_, "skb_store_bits") > 0  ? "added (copy mode; seen in samples)"
                : x_.copy_sites.total_samples == 0        ? "added (copy mode; not sampled)"
                                                          : "copy mode, but no sample caught it";
    return m;
  }

  // The redirect count's source: the xdp:xdp_redirect tracepoint, or veth's own per-queue
  // counter (native XDP), whichever the run used; the line says which.
  static std::string redirect_source(const CrossCheckResult& r) {
    const LedgerLine* l = r.ledger.line(ledger_id::kXdpRedirectXsk);
    return l && l->available() ? l->tracepoint : std::string("xdp:xdp_redirect to an XSKMAP");
  }
  static std::string redirect_measured(const CrossCheckResult& r) {
    const LedgerLine* l = r.ledger.line(ledger_id::kXdpRedirectXsk);
    return l && l->measured == Measured::kExactKernelCounter
               ? std::string("exact count (kernel counter marking the copy)")
               : std::string("exact count (tracepoint marking the copy)");
  }

  RowMeasure xsk_rx(const AfXdpRunMode& mode) const {
    RowMeasure m;
    m.socket = {per(s_.ledger.count(ledger_id::kXdpRedirectXsk), socket_.received),
                redirect_measured(s_),
                fmt::format("{} x {}", s_.ledger.count(ledger_id::kXdpRedirectXsk),
                            redirect_source(s_))};
    const std::uint64_t redirects = x_.ledger.count(ledger_id::kXdpRedirectXsk);
    if (mode.zero_copy) {
      // A zero-copy XSK is redirected to without a copy (net/xdp/xsk.c, xsk_rcv: a frame already
      // in the pool's UMEM goes to __xsk_rcv_zc), so the redirect count is no copy count here:
      // only a probe at the copy (below) counts this row.
      m.af_xdp = {std::nullopt, "not counted",
                  fmt::format("{} x {} for {} frames received (zero-copy: no copy follows it); "
                              "no probe at __xsk_rcv on this run",
                              redirects, redirect_source(x_), af_xdp_.received)};
    } else {
      m.af_xdp = {per(redirects, af_xdp_.received), redirect_measured(x_),
                  fmt::format("{} x {} (the copy follows it) for {} frames received; {}", redirects,
                              redirect_source(x_), af_xdp_.received,
                              sampled_text(x_, "xsk_rcv", "__xsk_rcv"))};
    }
    if (auto k = kprobe_cell(s_, ledger_id::kKpXskRxCopy, socket_.received,
                             "no AF_XDP socket on this path"))
      m.socket = *k;
    if (auto k = kprobe_cell(x_, ledger_id::kKpXskRxCopy, af_xdp_.received,
                             fmt::format("{} x {}", redirects, redirect_source(x_))))
      m.af_xdp = *k;
    if (mode.zero_copy) return m;  // the builder's verdict, from the cell
    const LedgerLine* kp = kprobe_line(x_, ledger_id::kKpXskRxCopy);
    m.verdict = kp && kp->count > 0 ? "added (copy mode; counted at the copy)" : "added (copy mode)";
    return m;
  }

  RowMeasure headroom(const AfXdpRunMode& mode) const {
    RowMeasure m;
    m.socket = {0.0, kExact, "no XDP program on the socket path"};
    m.verdict = "added (XDP on veth)";
    if (mode.xdp_mode == XdpMode::kGeneric) {
      m.af_xdp = {std::nullopt, kSampled,
                  sampled_text(x_, "pskb_expand_head", "pskb_expand_head") +
                      (x_.ledger.skb_location_gap.empty()
                           ? fmt::format("; {} skbs freed in xdp_do_generic_redirect (exact)",
                                         x_.ledger.frees_in("consume_skb", "xdp_do_generic_redirect"))
                           : "; " + x_.ledger.skb_location_gap)};
      return m;
    }
    const std::uint64_t cow = x_.ledger.frees_in("consume_skb", "skb_pp_cow_data");
    if (!x_.ledger.skb_location_gap.empty()) {
      m.af_xdp = {std::nullopt, kSampled,
                  fmt::format("{}; {}", x_.ledger.skb_location_gap,
                              sampled_text(x_, "skb_pp_cow_data", "skb_pp_cow_data"))};
    } else {
      m.af_xdp = {per(cow, af_xdp_.received), "exact count (consume_skb location)",
                  fmt::format("{} skbs consumed in skb_pp_cow_data after the copy; {}", cow,
                              sampled_text(x_, "skb_pp_cow_data", "skb_pp_cow_data"))};
    }
    return m;
  }

  const PathEvidence& socket_;
  const PathEvidence& af_xdp_;
  const CrossCheckResult& s_;
  const CrossCheckResult& x_;
};

}  // namespace

VerdictTable make_verdicts(const PathEvidence& socket, const PathEvidence& af_xdp,
                           const std::string& zero_copy_note) {
  if (!socket.result || !af_xdp.result)
    throw Error("make_verdicts: both paths need a cross-check result",
                "run the cross-check on the socket run and on the AF_XDP run");
  return build_verdicts(TraceCopyCounts(socket, af_xdp), {af_xdp.xdp_mode, af_xdp.zero_copy},
                        zero_copy_note);
}

}  // namespace copylab::trace

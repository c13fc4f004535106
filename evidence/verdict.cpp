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

}  // namespace

std::string user_copy_verdict(const VerdictCell& sock, const VerdictCell& xsk,
                              const std::string& moved_to) {
  if (!sock.per_packet || !xsk.per_packet) return "not measured";
  const bool sock_has = *sock.per_packet > 0.5;
  const bool xsk_has = *xsk.per_packet > 0.5;
  if (sock_has && xsk_has) return "still there";
  if (sock_has) return moved_to.empty() ? "gone" : "moved to " + moved_to;
  return "absent on both paths";
}

VerdictTable make_verdicts(const PathEvidence& socket, const PathEvidence& af_xdp,
                           const std::string& zero_copy_note) {
  if (!socket.result || !af_xdp.result)
    throw Error("make_verdicts: both paths need a cross-check result",
                "run the cross-check on the socket run and on the AF_XDP run");
  const CrossCheckResult& s = *socket.result;
  const CrossCheckResult& x = *af_xdp.result;
  const bool copy_mode = !af_xdp.zero_copy;
  const bool generic = af_xdp.xdp_mode == XdpMode::kGeneric;
  VerdictTable t;
  t.zero_copy_note = zero_copy_note;

  // AF_XDP kernel copies, measured first: the user-copy verdicts name them.
  VerdictRow tx_copy{"xsk_tx_copy", "AF_XDP TX: UMEM frame -> skb (memcpy in skb_store_bits)", {}, {}, ""};
  tx_copy.socket = {0.0, kSampled, sampled_text(s, "skb_store_bits", "skb_store_bits")};
  // No tracepoint sits at this copy: its evidence is sampled, so no per-packet number is shown.
  tx_copy.af_xdp = {std::nullopt, kSampled,
                    fmt::format("{} for {} frames; {}",
                                x.ledger.available(ledger_id::kXskTxKick)
                                    ? fmt::format("{} TX kicks (sock_send_length AF_XDP, exact)",
                                                  x.ledger.count(ledger_id::kXskTxKick))
                                    : std::string("TX kicks not measurable on this kernel"),
                                af_xdp.sent, sampled_text(x, "skb_store_bits", "skb_store_bits"))};
  if (auto k = kprobe_cell(s, ledger_id::kKpXskTxCopy, socket.sent, "no AF_XDP socket on this path"))
    tx_copy.socket = *k;
  if (auto k = kprobe_cell(x, ledger_id::kKpXskTxCopy, af_xdp.sent,
                           sampled_text(x, "skb_store_bits", "skb_store_bits")))
    tx_copy.af_xdp = *k;
  const LedgerLine* kp_tx = kprobe_line(x, ledger_id::kKpXskTxCopy);
  tx_copy.verdict = !copy_mode && kp_tx && kp_tx->count == 0 ? "none (zero-copy; exact)"
                    : kp_tx && kp_tx->count > 0            ? "added (copy mode; counted at the copy)"
                    : !copy_mode                                ? "none (zero-copy)"
                    : site_samples(x, "skb_store_bits") > 0 ? "added (copy mode; seen in samples)"
                    : x.copy_sites.total_samples == 0       ? "added (copy mode; not sampled)"
                                                            : "copy mode, but no sample caught it";

  VerdictRow rx_copy{"xsk_rx_copy", "AF_XDP RX: xdp_buff -> UMEM frame (__xsk_rcv)", {}, {}, ""};
  // The redirect count's source: the xdp:xdp_redirect tracepoint, or veth's own per-queue counter
  // (native XDP), whichever the run used; the line says which.
  const auto redirect_source = [](const CrossCheckResult& r) {
    const LedgerLine* l = r.ledger.line(ledger_id::kXdpRedirectXsk);
    return l && l->available() ? l->tracepoint : std::string("xdp:xdp_redirect to an XSKMAP");
  };
  const auto redirect_measured = [](const CrossCheckResult& r) {
    const LedgerLine* l = r.ledger.line(ledger_id::kXdpRedirectXsk);
    return l && l->measured == Measured::kExactKernelCounter
               ? std::string("exact count (kernel counter marking the copy)")
               : std::string("exact count (tracepoint marking the copy)");
  };
  rx_copy.socket = {per(s.ledger.count(ledger_id::kXdpRedirectXsk), socket.received),
                    redirect_measured(s),
                    fmt::format("{} x {}", s.ledger.count(ledger_id::kXdpRedirectXsk),
                                redirect_source(s))};
  const std::uint64_t xsk_redirects = x.ledger.count(ledger_id::kXdpRedirectXsk);
  rx_copy.af_xdp = {per(copy_mode ? xsk_redirects : 0, af_xdp.received), redirect_measured(x),
                    fmt::format("{} x {} (the copy follows it) for {} frames received; {}",
                                xsk_redirects, redirect_source(x), af_xdp.received,
                                sampled_text(x, "xsk_rcv", "__xsk_rcv"))};
  if (auto k = kprobe_cell(s, ledger_id::kKpXskRxCopy, socket.received, "no AF_XDP socket on this path"))
    rx_copy.socket = *k;
  if (auto k = kprobe_cell(x, ledger_id::kKpXskRxCopy, af_xdp.received,
                           fmt::format("{} x {}", xsk_redirects, redirect_source(x))))
    rx_copy.af_xdp = *k;
  const LedgerLine* kp_rx = kprobe_line(x, ledger_id::kKpXskRxCopy);
  rx_copy.verdict = kp_rx && kp_rx->count > 0 ? "added (copy mode; counted at the copy)"
                    : copy_mode                ? "added (copy mode)"
                                               : "none (zero-copy)";

  VerdictRow headroom{"xdp_headroom_copy",
                      generic ? "generic XDP headroom copy (pskb_expand_head)"
                              : "native veth XDP headroom copy: skb -> page_pool page (skb_pp_cow_data)",
                      {}, {}, ""};
  headroom.socket = {0.0, kExact, "no XDP program on the socket path"};
  if (generic) {
    headroom.af_xdp = {std::nullopt, kSampled,
                       sampled_text(x, "pskb_expand_head", "pskb_expand_head") +
                           (x.ledger.skb_location_gap.empty()
                                ? fmt::format("; {} skbs freed in xdp_do_generic_redirect (exact)",
                                              x.ledger.frees_in("consume_skb",
                                                                "xdp_do_generic_redirect"))
                                : "; " + x.ledger.skb_location_gap)};
  } else {
    const std::uint64_t cow = x.ledger.frees_in("consume_skb", "skb_pp_cow_data");
    if (!x.ledger.skb_location_gap.empty()) {
      headroom.af_xdp = {std::nullopt, kSampled,
                         fmt::format("{}; {}", x.ledger.skb_location_gap,
                                     sampled_text(x, "skb_pp_cow_data", "skb_pp_cow_data"))};
    } else {
      headroom.af_xdp = {per(cow, af_xdp.received), "exact count (consume_skb location)",
                         fmt::format("{} skbs consumed in skb_pp_cow_data after the copy; {}", cow,
                                     sampled_text(x, "skb_pp_cow_data", "skb_pp_cow_data"))};
    }
  }
  headroom.verdict = "added (XDP on veth)";

  // COPY #1 … #4: the four copies of a UDP datagram on the socket path (send, TX, RX, receive).
  VerdictRow c1{"copy1", "COPY #1 user buffer -> kernel skb (send, _copy_from_iter)", {}, {}, ""};
  c1.socket = user_copy_cell(s, ledger_id::kCopy1, ledger_id::kKpCopy1, socket.sent, "copy_from_iter",
                             "_copy_from_iter", "sock:sock_send_length(AF_INET)");
  c1.af_xdp = user_copy_cell(x, ledger_id::kCopy1, ledger_id::kKpCopy1, af_xdp.sent, "copy_from_iter",
                             "_copy_from_iter", "sock:sock_send_length(AF_INET)");
  c1.verdict = user_copy_verdict(c1.socket, c1.af_xdp,
                                 copy_mode ? "skb_store_bits (kernel: UMEM -> skb)" : "");

  VerdictRow c4{"copy4", "COPY #4 kernel skb -> user buffer (receive, _copy_to_iter)", {}, {}, ""};
  c4.socket = user_copy_cell(s, ledger_id::kCopy4, ledger_id::kKpCopy4, socket.received, "copy_to_iter",
                             "_copy_to_iter", "sock:sock_recv_length(AF_INET)");
  c4.af_xdp = user_copy_cell(x, ledger_id::kCopy4, ledger_id::kKpCopy4, af_xdp.received, "copy_to_iter",
                             "_copy_to_iter", "sock:sock_recv_length(AF_INET)");
  c4.verdict = user_copy_verdict(c4.socket, c4.af_xdp,
                                 copy_mode ? "__xsk_rcv (kernel: xdp_buff -> UMEM)" : "");

  const std::string handoff = veth_handoff_evidence(s.ledger);
  const bool pointer_handoff = same_buffer_proved(s.ledger);
  VerdictRow c2{"copy2", "COPY #2 kernel skb -> device (TX DMA)", {}, {}, ""};
  c2.socket = {std::nullopt, "payload addresses (tracepoint samples)", handoff};
  c2.af_xdp = {std::nullopt, "", "AF_XDP TX uses __dev_direct_xmit: no net_dev_queue sample"};
  c2.verdict = pointer_handoff ? "n/a on veth (no DMA: the skb is handed over by pointer)"
                               : "not measured (needs a NIC; veth has no DMA)";
  VerdictRow c3{"copy3", "COPY #3 device -> kernel skb (RX DMA)", {}, {}, ""};
  c3.socket = c2.socket;
  c3.af_xdp = {std::nullopt, "", "no DMA on veth"};
  c3.verdict = c2.verdict;

  t.rows = {c1, c2, c3, c4, tx_copy, headroom, rx_copy};

  const bool user_copies_gone = c1.af_xdp.per_packet && *c1.af_xdp.per_packet < 0.5 &&
                                c4.af_xdp.per_packet && *c4.af_xdp.per_packet < 0.5;
  if (!copy_mode && user_copies_gone) {
    t.summary = "AF_XDP zero-copy: the user<->kernel copies are gone and no kernel copy replaces "
                "them.";
  } else if (user_copies_gone) {
    t.summary = fmt::format(
        "Copies moved, not gone: AF_XDP ({} XDP, copy mode) removes COPY #1 and COPY #4 "
        "(0 per packet, {}), but the kernel now "
        "copies UMEM -> skb on transmit (skb_store_bits), makes an XDP headroom copy ({}), and "
        "copies into UMEM on receive (__xsk_rcv).",
        af_xdp.xdp_mode ? to_string(*af_xdp.xdp_mode) : "?",
        c1.af_xdp.measured == kExact ? "exact at sock:sock_send_length/sock_recv_length"
                                     : c1.af_xdp.measured,
        generic ? "pskb_expand_head" : "skb_pp_cow_data");
  } else if (!c1.af_xdp.per_packet || !c4.af_xdp.per_packet) {
    t.summary = "COPY #1/#4 are not measurable on this kernel (its sock:sock_send_length/"
                "sock_recv_length tracepoints are missing): no verdict on the user<->kernel "
                "copies; the sampled copy sites and the kernel-side rows still apply.";
  } else {
    t.summary = "The AF_XDP run still shows user<->kernel copies: check that it used AF_XDP on "
                "both ends (mixed pairs keep one socket side).";
  }
  return t;
}

namespace {
nlohmann::json cell_json(const VerdictCell& c) {
  nlohmann::json j = {{"measured", c.measured}, {"evidence", c.evidence}};
  j["per_packet"] = c.per_packet ? nlohmann::json(*c.per_packet) : nlohmann::json(nullptr);
  return j;
}
std::string cell_text(const VerdictCell& c) {
  return c.per_packet ? fmt::format("{:.2f}", *c.per_packet) : std::string("n/a");
}
}  // namespace

nlohmann::json to_json(const VerdictTable& v) {
  nlohmann::json rows = nlohmann::json::array();
  for (const VerdictRow& r : v.rows) {
    rows.push_back({{"id", r.id},
                    {"what", r.what},
                    {"socket", cell_json(r.socket)},
                    {"af_xdp", cell_json(r.af_xdp)},
                    {"verdict", r.verdict}});
  }
  return {{"rows", std::move(rows)}, {"summary", v.summary}, {"zero_copy", v.zero_copy_note}};
}

std::string format_verdicts(const VerdictTable& v) {
  std::string out = fmt::format("{:<64} {:>8} {:>8}  {}\n", "copy", "socket", "af_xdp",
                                "verdict (per packet)");
  for (const VerdictRow& r : v.rows) {
    out += fmt::format("{:<64} {:>8} {:>8}  {}\n", r.what, cell_text(r.socket),
                       cell_text(r.af_xdp), r.verdict);
    out += fmt::format("    socket: [{}] {}\n", r.socket.measured, r.socket.evidence);
    out += fmt::format("    af_xdp: [{}] {}\n", r.af_xdp.measured, r.af_xdp.evidence);
  }
  out += "\n" + v.summary + "\n";
  if (!v.zero_copy_note.empty()) out += "Zero-copy: " + v.zero_copy_note + "\n";
  return out;
}

}  // namespace copylab::trace

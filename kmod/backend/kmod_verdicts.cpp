#include "kmod/backend/kmod_verdicts.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "kmod/backend/probe_sites.hpp"

namespace copylab::kmod {
namespace {

using trace::user_copy_verdict;
using trace::VerdictCell;
using trace::VerdictRow;

// The site's count at the experiment's length, per packet of the run.
VerdictCell site_cell(const KmodPathRun& run, const char* site_name, std::uint64_t payload) {
  const ProbeSite* site = find_probe_site(site_name);
  const SiteCounters* s = run.counters->site(site_name);
  if (site == nullptr || s == nullptr || !s->attached()) {
    return {std::nullopt, "not measurable",
            fmt::format(
                "{}: {}", site_name,
                s ? "kprobe on " + s->symbol + " " + s->state : std::string("not in this module"))};
  }
  const std::uint64_t len = payload + site->header_bytes;
  const std::uint64_t packets = site->per_sent ? run.sent : run.received;
  const auto n = s->hits_of_len(len);
  if (!n) {
    return {std::nullopt, measured_at(*site, *s),
            fmt::format("{} calls of {} B unknown: {} other lengths overflowed the table",
                        s->symbol, len, s->lens_other)};
  }
  std::optional<double> per;
  if (packets > 0) per = static_cast<double>(*n) / static_cast<double>(packets);
  return {per, measured_at(*site, *s),
          fmt::format("{} calls of {} B at {} for {} packets {} (nmissed {})", *n, len, s->symbol,
                      packets, site->per_sent ? "sent" : "received", s->nmissed)};
}

bool present(const VerdictCell& c) { return c.per_packet && *c.per_packet > 0.5; }
bool absent(const VerdictCell& c) { return c.per_packet && *c.per_packet < 0.5; }

std::string added_verdict(const VerdictCell& xsk, const std::string& what) {
  if (!xsk.per_packet) return "not measured";
  return present(xsk) ? "added (" + what + ")" : "none on this run";
}

std::string per_text(const VerdictCell& c) {
  return c.per_packet ? fmt::format("{:.2f}", *c.per_packet) : std::string("n/a");
}

}  // namespace

trace::VerdictTable make_kmod_verdicts(const KmodPathRun& socket, const KmodPathRun& af_xdp,
                                       std::uint64_t payload, const std::string& zero_copy_note) {
  if (socket.counters == nullptr || af_xdp.counters == nullptr)
    throw Error("make_kmod_verdicts: both paths need copyprobe counters",
                "run the module on the socket run and on the AF_XDP run");
  const bool generic = af_xdp.xdp_mode == XdpMode::kGeneric;
  const char* headroom_site = generic ? "XDP_EXPAND" : "XDP_COW";
  trace::VerdictTable t;
  t.zero_copy_note = zero_copy_note;

  VerdictRow tx_copy{"xsk_tx_copy", "AF_XDP TX: UMEM frame -> skb (memcpy in skb_store_bits)",
                     site_cell(socket, "XSK_TX", payload), site_cell(af_xdp, "XSK_TX", payload),
                     ""};
  tx_copy.verdict =
      af_xdp.zero_copy ? "none (zero-copy)" : added_verdict(tx_copy.af_xdp, "copy mode");
  VerdictRow rx_copy{"xsk_rx_copy", "AF_XDP RX: xdp_buff -> UMEM frame (__xsk_rcv)",
                     site_cell(socket, "XSK_RX", payload), site_cell(af_xdp, "XSK_RX", payload),
                     ""};
  rx_copy.verdict =
      af_xdp.zero_copy ? "none (zero-copy)" : added_verdict(rx_copy.af_xdp, "copy mode");
  VerdictRow headroom{"xdp_headroom_copy",
                      generic ? "generic XDP headroom copy (pskb_expand_head)"
                              : "native veth XDP headroom copy: skb -> page (skb_copy_bits)",
                      site_cell(socket, headroom_site, payload),
                      site_cell(af_xdp, headroom_site, payload), ""};
  headroom.verdict = added_verdict(headroom.af_xdp, "XDP on veth");

  VerdictRow c1{"copy1", "COPY #1 user buffer -> kernel skb (send, _copy_from_iter)",
                site_cell(socket, "COPY1", payload), site_cell(af_xdp, "COPY1", payload), ""};
  c1.verdict = user_copy_verdict(
      c1.socket, c1.af_xdp, present(tx_copy.af_xdp) ? "skb_store_bits (kernel: UMEM -> skb)" : "");
  VerdictRow c4{"copy4", "COPY #4 kernel skb -> user buffer (receive, _copy_to_iter)",
                site_cell(socket, "COPY4", payload), site_cell(af_xdp, "COPY4", payload), ""};
  c4.verdict = user_copy_verdict(
      c4.socket, c4.af_xdp, present(rx_copy.af_xdp) ? "__xsk_rcv (kernel: xdp_buff -> UMEM)" : "");

  // veth has no DMA: what the module counts here is the hand-off of the skb to the device.
  VerdictRow c2{"copy2", "COPY #2 kernel skb -> device (TX DMA)",
                site_cell(socket, "COPY2", payload), site_cell(af_xdp, "XSK_XMIT", payload),
                "n/a on veth (no DMA: the count is the skb's hand-off to the device, not a copy)"};
  VerdictRow c3{"copy3",
                "COPY #3 device -> kernel skb (RX DMA)",
                {std::nullopt, "", "no DMA on veth"},
                {std::nullopt, "", "no DMA on veth"},
                "n/a on veth (no DMA)"};

  t.rows = {c1, c2, c3, c4, tx_copy, headroom, rx_copy};

  if (!c1.af_xdp.per_packet || !c4.af_xdp.per_packet || !c1.socket.per_packet ||
      !c4.socket.per_packet) {
    t.summary =
        "COPY #1/#4 could not be counted at the copy functions on both paths: no verdict "
        "on the user<->kernel copies (see the rows' evidence).";
  } else if (absent(c1.af_xdp) && absent(c4.af_xdp) && af_xdp.zero_copy) {
    t.summary =
        "AF_XDP zero-copy: the user<->kernel copies are gone and no kernel copy replaces "
        "them (counted at the copy functions by copyprobe).";
  } else if (absent(c1.af_xdp) && absent(c4.af_xdp)) {
    t.summary = fmt::format(
        "Copies moved, not gone: AF_XDP ({} XDP, copy mode) removes COPY #1 and COPY #4 ({} and "
        "{} per packet at _copy_from_iter/_copy_to_iter, against {} and {} on the socket path), "
        "but the kernel now copies UMEM -> skb on transmit (skb_store_bits: {} per frame), makes "
        "an XDP headroom copy ({}: {} per frame) and copies into UMEM on receive (__xsk_rcv: {} "
        "per frame). Counted exactly by the kprobe module copyprobe.",
        af_xdp.xdp_mode ? to_string(*af_xdp.xdp_mode) : "?", per_text(c1.af_xdp), per_text(c4.af_xdp),
        per_text(c1.socket), per_text(c4.socket), per_text(tx_copy.af_xdp),
        generic ? "pskb_expand_head" : "skb_copy_bits", per_text(headroom.af_xdp),
        per_text(rx_copy.af_xdp));
  } else {
    t.summary =
        "The AF_XDP run still shows user<->kernel copies of the payload: check that it "
        "used AF_XDP on both ends.";
  }
  return t;
}

}  // namespace copylab::kmod

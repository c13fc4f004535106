#include "evidence/verdict.hpp"

#include <fmt/format.h>

namespace copylab::trace {
namespace {

bool present(const VerdictCell& c) { return c.per_packet && *c.per_packet > 0.5; }
bool absent(const VerdictCell& c) { return c.per_packet && *c.per_packet < 0.5; }

// A kernel copy's verdict from its AF_XDP cell, when the backend left it to the builder.
std::string kernel_copy_verdict(const VerdictCell& xsk, const std::string& added_by) {
  if (!xsk.per_packet) return "not measured";
  return present(xsk) ? "added (" + added_by + ")" : "none on this run";
}

// A kernel copy's verdict on a zero-copy run, from its cell: gone only when counted 0.
std::string zero_copy_verdict(const VerdictCell& xsk) {
  if (!xsk.per_packet) return "not counted (no count at the copy on this run)";
  return present(xsk) ? "still there (counted at the copy)" : "gone (0 at the copy)";
}

// "1.00 per frame", or how it was measured when there is no count.
std::string per_frame(const VerdictCell& c) {
  return c.per_packet ? fmt::format("{:.2f} per frame", *c.per_packet) : c.measured;
}
std::string per_text(const VerdictCell& c) {
  return c.per_packet ? fmt::format("{:.2f}", *c.per_packet) : std::string("n/a");
}

std::string summary_of(const CopyCounts& counts, const AfXdpRunMode& mode, const VerdictRow& c1,
                       const VerdictRow& c4, const VerdictRow& tx, const VerdictRow& headroom,
                       const VerdictRow& rx) {
  if (!c1.socket.per_packet || !c1.af_xdp.per_packet || !c4.socket.per_packet ||
      !c4.af_xdp.per_packet) {
    return "COPY #1/#4 could not be counted on both paths (" +
           counts.why_user_copies_not_counted() +
           "): no verdict on the user<->kernel copies; the kernel-side rows still apply.";
  }
  if (!absent(c1.af_xdp) || !absent(c4.af_xdp)) {
    return "The AF_XDP run still shows user<->kernel copies of the payload: check that it used "
           "AF_XDP on both ends (mixed pairs keep one socket side).";
  }
  if (mode.zero_copy) {
    return fmt::format(
        "AF_XDP zero-copy: COPY #1 and COPY #4 are gone ({} and {} per packet, against {} and {} "
        "on the socket path; {}) and the kernel's AF_XDP copies are {} (UMEM -> skb on transmit: "
        "{}; into UMEM on receive: {}).",
        per_text(c1.af_xdp), per_text(c4.af_xdp), per_text(c1.socket), per_text(c4.socket),
        counts.how_user_copies_counted(),
        absent(tx.af_xdp) && absent(rx.af_xdp) ? "gone too" : "not both counted 0",
        per_frame(tx.af_xdp), per_frame(rx.af_xdp));
  }
  const bool generic = mode.xdp_mode == XdpMode::kGeneric;
  return fmt::format(
      "Copies moved, not gone: AF_XDP ({} XDP, copy mode) removes COPY #1 and COPY #4 ({} and {} "
      "per packet, against {} and {} on the socket path; {}), but the kernel now copies UMEM -> "
      "skb on transmit (skb_store_bits: {}), makes an XDP headroom copy ({}: {}) and copies into "
      "UMEM on receive (__xsk_rcv: {}).",
      mode.xdp_mode ? to_string(*mode.xdp_mode) : "?", per_text(c1.af_xdp), per_text(c4.af_xdp),
      per_text(c1.socket), per_text(c4.socket), counts.how_user_copies_counted(),
      per_frame(tx.af_xdp), generic ? "pskb_expand_head" : counts.native_headroom_function(),
      per_frame(headroom.af_xdp), per_frame(rx.af_xdp));
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

VerdictTable build_verdicts(const CopyCounts& counts, const AfXdpRunMode& mode,
                            const std::string& zero_copy_note) {
  const bool generic = mode.xdp_mode == XdpMode::kGeneric;
  const auto row = [&](CopyRow id, const char* key, std::string what) {
    RowMeasure m = counts.measure(id, mode);
    return VerdictRow{key, std::move(what), std::move(m.socket), std::move(m.af_xdp),
                      std::move(m.verdict), std::nullopt, ""};
  };
  VerdictRow tx = row(CopyRow::kXskTx, "xsk_tx_copy",
                      "AF_XDP TX: UMEM frame -> skb (memcpy in skb_store_bits)");
  if (tx.verdict.empty())
    tx.verdict = mode.zero_copy ? zero_copy_verdict(tx.af_xdp) : kernel_copy_verdict(tx.af_xdp, "copy mode");
  VerdictRow rx = row(CopyRow::kXskRx, "xsk_rx_copy", "AF_XDP RX: xdp_buff -> UMEM frame (__xsk_rcv)");
  if (rx.verdict.empty())
    rx.verdict = mode.zero_copy ? zero_copy_verdict(rx.af_xdp) : kernel_copy_verdict(rx.af_xdp, "copy mode");
  VerdictRow headroom =
      row(CopyRow::kHeadroom, "xdp_headroom_copy",
          generic ? "generic XDP headroom copy (pskb_expand_head)"
                  : "native veth XDP headroom copy: skb -> page (" +
                        counts.native_headroom_function() + ")");
  if (headroom.verdict.empty()) headroom.verdict = kernel_copy_verdict(headroom.af_xdp, "XDP on veth");

  // COPY #1 … #4: the four copies of a UDP datagram on the socket path (send, TX, RX, receive).
  // A user copy the AF_XDP path lacks moved into the kernel when the kernel's copy is there (or,
  // in copy mode, not counted as absent).
  const auto moved = [&](const VerdictCell& kernel_copy, const char* to) {
    return !mode.zero_copy && !absent(kernel_copy) ? std::string(to) : std::string();
  };
  VerdictRow c1 = row(CopyRow::kCopy1, "copy1", "COPY #1 user buffer -> kernel skb (send, _copy_from_iter)");
  if (c1.verdict.empty())
    c1.verdict = user_copy_verdict(c1.socket, c1.af_xdp,
                                   moved(tx.af_xdp, "skb_store_bits (kernel: UMEM -> skb)"));
  VerdictRow c4 = row(CopyRow::kCopy4, "copy4", "COPY #4 kernel skb -> user buffer (receive, _copy_to_iter)");
  if (c4.verdict.empty())
    c4.verdict = user_copy_verdict(c4.socket, c4.af_xdp,
                                   moved(rx.af_xdp, "__xsk_rcv (kernel: xdp_buff -> UMEM)"));
  VerdictRow c2 = row(CopyRow::kCopy2, "copy2", "COPY #2 kernel skb -> device (TX DMA)");
  if (c2.verdict.empty()) c2.verdict = "not measured";
  VerdictRow c3 = row(CopyRow::kCopy3, "copy3", "COPY #3 device -> kernel skb (RX DMA)");
  if (c3.verdict.empty()) c3.verdict = "not measured";

  VerdictTable t;
  t.zero_copy_note = zero_copy_note;
  t.summary = summary_of(counts, mode, c1, c4, tx, headroom, rx);
  t.rows = {std::move(c1), std::move(c2), std::move(c3), std::move(c4),
            std::move(tx), std::move(headroom), std::move(rx)};
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

void add_zero_copy_column(VerdictTable& copy_mode, const VerdictTable& zero_copy) {
  for (VerdictRow& r : copy_mode.rows) {
    for (const VerdictRow& z : zero_copy.rows) {
      if (z.id != r.id) continue;
      r.af_xdp_zc = z.af_xdp;
      r.verdict_zc = z.verdict;
    }
    if (!r.af_xdp_zc) {
      r.af_xdp_zc = VerdictCell{std::nullopt, "", "no such row in the zero-copy run's table"};
      r.verdict_zc = "not measured";
    }
  }
  copy_mode.summary_zc = zero_copy.summary;
}

void name_device_dma(VerdictTable& table, const std::string& driver) {
  if (driver.empty() || driver == "veth") return;
  const std::string verdict =
      driver == "virtio_net"
          ? "not counted: virtio-net's DMA is the hypervisor (qemu) reading or writing guest "
            "memory, a copy outside the guest kernel; not gone"
          : "not counted: " + driver + "'s DMA is done by the device, outside the kernel's copy "
                                       "functions; not gone";
  for (VerdictRow& r : table.rows) {
    // (Generic XDP's headroom copy, pskb_expand_head, is the same on every driver: kept.)
    if (r.id == "xdp_headroom_copy" && r.what.rfind("native", 0) == 0) {
      // The site counted here is veth's native-XDP headroom copy on veth; on another driver the
      // same function copies for another reason (virtio_net without scatter-gather: the linearize
      // before the driver, validate_xmit_skb -> __pskb_pull_tail -> skb_copy_bits).
      r.what = "skb copy at the headroom-copy site (on " + driver +
               ": not veth's XDP headroom copy; without scatter-gather, the linearize before the "
               "driver)";
      r.verdict = kernel_copy_verdict(r.af_xdp, "copy mode");
      if (r.af_xdp_zc) r.verdict_zc = zero_copy_verdict(*r.af_xdp_zc);
      continue;
    }
    if (r.id != "copy2" && r.id != "copy3") continue;
    r.verdict = verdict;
    if (r.af_xdp_zc) r.verdict_zc = verdict;
    if (r.id == "copy3") {
      for (VerdictCell* c : {&r.socket, &r.af_xdp}) c->evidence = "the device's DMA, outside the guest kernel";
      if (r.af_xdp_zc) r.af_xdp_zc->evidence = "the device's DMA, outside the guest kernel";
    }
  }
}

nlohmann::json to_json(const VerdictTable& v) {
  nlohmann::json rows = nlohmann::json::array();
  for (const VerdictRow& r : v.rows) {
    nlohmann::json row = {{"id", r.id},
                          {"what", r.what},
                          {"socket", cell_json(r.socket)},
                          {"af_xdp", cell_json(r.af_xdp)},
                          {"verdict", r.verdict}};
    if (r.af_xdp_zc) {
      row["af_xdp_zc"] = cell_json(*r.af_xdp_zc);
      row["verdict_zc"] = r.verdict_zc;
    }
    rows.push_back(std::move(row));
  }
  nlohmann::json j = {{"rows", std::move(rows)}, {"summary", v.summary}, {"zero_copy", v.zero_copy_note}};
  if (v.has_zero_copy_column()) j["summary_zc"] = v.summary_zc;
  return j;
}

std::string format_verdicts(const VerdictTable& v) {
  std::string out = fmt::format("{:<64} {:>8} {:>8}  {}\n", "copy", "socket", "af_xdp",
                                "verdict (per packet)");
  for (const VerdictRow& r : v.rows) {
    out += fmt::format("{:<64} {:>8} {:>8}  {}\n", r.what, cell_text(r.socket),
                       cell_text(r.af_xdp), r.verdict);
    out += fmt::format("    socket: [{}] {}\n", r.socket.measured, r.socket.evidence);
    out += fmt::format("    af_xdp: [{}] {}\n", r.af_xdp.measured, r.af_xdp.evidence);
    if (r.af_xdp_zc) {
      out += fmt::format("    af_xdp zero-copy: {} [{}] {}; {}\n", cell_text(*r.af_xdp_zc),
                         r.af_xdp_zc->measured, r.af_xdp_zc->evidence, r.verdict_zc);
    }
  }
  out += "\n" + v.summary + "\n";
  if (!v.summary_zc.empty()) out += v.summary_zc + "\n";
  if (!v.zero_copy_note.empty()) out += "Zero-copy: " + v.zero_copy_note + "\n";
  return out;
}

}  // namespace copylab::trace

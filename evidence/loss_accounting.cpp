#include "evidence/loss_accounting.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace copylab {

std::string with_commas(long long n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::optional<LossAccount> explain_loss(const RunCounts& run) {
  const ToolResult& tx = run.sender;
  const ToolResult& rx = run.receiver;
  if (!tx.sent || !rx.received) return std::nullopt;
  const KernelCounters& a = run.kernel.a;
  const KernelCounters& b = run.kernel.b;
  LossAccount acc;
  acc.sent = *tx.sent;
  acc.received = *rx.received;
  acc.lost = acc.sent - acc.received;
  const long long lost = acc.lost;

  auto drop = [&](std::string counter, std::string source, std::string meaning, long long n) {
    acc.drops.push_back(
        {std::move(counter), std::move(source), std::move(meaning), std::max(0LL, n)});
  };
  drop("sender TX queue at exit", "sender in_flight_at_end",
       "handed to the kernel but never completed when the sender gave up waiting",
       tx.in_flight_at_end.value_or(0));
  // XSK drops: __xsk_rcv counts a frame it could not place as rx_dropped (no free UMEM frame)
  // or rx_ring_full, never both (net/xdp/xsk.c).
  const bool xsk = run.af_xdp_rx;
  const XskStatistics xs = xsk ? rx.xdp_statistics.value_or(XskStatistics{}) : XskStatistics{};
  const long long xsk_rx_dropped = xs.rx_dropped;
  const long long xsk_ring_full = xs.rx_ring_full;
  // veth_xmit counts a frame its peer refused (backlog or XDP ring full) on the sending device
  // (tx_dropped); the receiving device's rx_dropped holds backlog drops (enqueue_to_backlog) and,
  // with native XDP, every frame the program could not redirect (veth_xdp_rcv), i.e. the XSK's
  // drops above. One frame can show in both devices, so the link's share is the larger of A's
  // tx_dropped and what B's rx_dropped holds beyond the XSK's drops.
  const long long a_tx_dropped = a.link.tx_dropped.value_or(0);
  const long long b_rx_dropped = b.link.rx_dropped.value_or(0);
  const long long b_link_only = std::max(0LL, b_rx_dropped - xsk_rx_dropped - xsk_ring_full);
  drop(fmt::format("veth drops (A tx_dropped {}, B rx_dropped {}{})", a_tx_dropped, b_rx_dropped,
                   xsk ? " less the XSK's drops" : ""),
       "ip -s link", "the veth pair refused the frame: the peer's backlog or XDP ring was full",
       std::max(a_tx_dropped, b_link_only));
  if (xsk) {
    drop("XSK rx_dropped", "XDP_STATISTICS",
         "redirected to the XSK with no free UMEM frame (fill ring empty)", xsk_rx_dropped);
    drop("XSK rx_ring_full", "XDP_STATISTICS", "redirected to the XSK while its RX ring was full",
         xsk_ring_full);
  }
  drop("Udp NoPorts (namespace B)", "/proc/net/snmp",
       "reached B's UDP stack with no socket on the port: the receiver had closed, or its XDP "
       "program was no longer attached",
       b.udp.no_ports.value_or(0));
  // __udp_queue_rcv_skb counts a full socket buffer as RcvbufErrors and InErrors both; InErrors
  // also holds checksum errors, so it is the one to add.
  drop(fmt::format("Udp InErrors (namespace B; RcvbufErrors {})", b.udp.rcvbuf_errors.value_or(0)),
       "/proc/net/snmp", "B's UDP stack dropped it: socket buffer full or bad checksum",
       b.udp.in_errors.value_or(0));

  for (const LossDrop& d : acc.drops) acc.explained += d.frames;

  if (const long long n = rx.steer ? rx.steer->passed_no_xsk : 0; n != 0) {
    acc.also.push_back(fmt::format("the XDP program passed {} frames of the port to the stack (no "
                                   "XSK on the queue yet)",
                                   with_commas(n)));
  }
  // The steering program counts every frame its hook sees. None at all while frames went missing
  // and turned up in B's stack: they reached the device only after the receiver had detached the
  // program, i.e. they were held before the driver's XDP hook (in the device, or the hypervisor's
  // queue in front of a virtual NIC) for the receiver's whole run.
  const auto seen_by_program = [](const SteerCounts& s) {
    return s.redirected + s.passed_no_xsk + s.passed_other_port + s.passed_not_udp +
           s.passed_truncated;
  };
  if (rx.steer && seen_by_program(*rx.steer) == 0 && lost > 0 && b.udp.no_ports.value_or(0) > 0) {
    acc.also.push_back(fmt::format(
        "the XDP program saw no frame while the receiver ran (every counter 0), yet {} reached "
        "B's stack: they arrived at the device only after the program was detached",
        with_commas(b.udp.no_ports.value_or(0))));
  }
  if (const long long n = rx.xdp_statistics ? rx.xdp_statistics->rx_fill_ring_empty_descs : 0;
      n != 0) {
    acc.also.push_back(fmt::format("the fill ring was found empty {} times", with_commas(n)));
  }
  const std::string stopped = rx.stopped_by.value_or("");
  if (stopped == "drain") {
    acc.also.push_back("the receiver stopped once the sender had finished and no frame came for "
                       "its drain period");
  } else if (!stopped.empty() && stopped != "count") {
    acc.also.push_back("the receiver stopped by " + stopped);
  }
  if (acc.explained > lost) {
    acc.also.push_back(fmt::format("the counters hold {} more drops than frames were lost: they "
                                   "also count other traffic in the namespaces",
                                   with_commas(acc.explained - lost)));
  }

  acc.text = fmt::format("sent {} = received {}", with_commas(acc.sent), with_commas(acc.received));
  if (lost <= 0) acc.text += ": nothing lost";
  for (const LossDrop& d : acc.drops) {
    if (d.frames != 0 && lost > 0) acc.text += fmt::format(" + {} {}", d.counter, with_commas(d.frames));
  }
  acc.unexplained = std::max(0LL, lost - acc.explained);
  if (lost > 0) acc.text += fmt::format(" + unexplained {}", with_commas(acc.unexplained));
  return acc;
}

nlohmann::json to_json(const LossAccount& a) {
  nlohmann::json drops = nlohmann::json::array();
  for (const LossDrop& d : a.drops) {
    drops.push_back({{"counter", d.counter},
                     {"source", d.source},
                     {"meaning", d.meaning},
                     {"frames", d.frames}});
  }
  nlohmann::json also = nlohmann::json::array();
  for (const std::string& s : a.also) also.push_back(s);
  return {{"sent", a.sent},       {"received", a.received},       {"lost", a.lost},
          {"drops", drops},       {"explained", a.explained},     {"unexplained", a.unexplained},
          {"also", also},         {"text", a.text}};
}

}  // namespace copylab

#include "evidence/compare_checks.hpp"

#include <string>

namespace copylab {

std::optional<bool> CheckRow::ok() const {
  if (!available()) return std::nullopt;
  return *expected == *observed;
}

nlohmann::json to_json(const CheckRow& c) {
  nlohmann::json row{{"name", c.name}, {"source", c.source}, {"note", c.note}};
  if (!c.available()) {
    row["ok"] = nullptr;
    row["unavailable"] = true;
  } else {
    row["expected"] = *c.expected;
    row["observed"] = *c.observed;
    row["ok"] = *c.ok();
  }
  return row;
}

nlohmann::json to_json(const std::vector<CheckRow>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const CheckRow& c : checks) out.push_back(to_json(c));
  return out;
}

namespace {

using Count = std::optional<long long>;

Count sum(Count a, Count b) { return a && b ? Count(*a + *b) : std::nullopt; }

}  // namespace

std::vector<CheckRow> cross_checks(const RunCounts& run) {
  std::vector<CheckRow> out;
  const auto add = [&out](std::string name, Count expected, Count observed, std::string source,
                          std::string note) {
    out.push_back({std::move(name), expected, observed, std::move(source), std::move(note)});
  };
  const Count sent = run.sender.sent;
  const Count received = run.receiver.received;
  const Count lost_rx = run.receiver.lost;
  const KernelCounters& a = run.kernel.a;
  const KernelCounters& b = run.kernel.b;

  add("sender sent every frame asked for", static_cast<long long>(run.asked), sent, "sender",
      "frames handed to the kernel by the sender");
  add("sent = received + lost", sent, sum(received, lost_rx), "receiver",
      "the receiver's validator: unique sequence numbers + missing ones");
  const auto& v = run.receiver.validator;
  add("no corrupt, duplicate or reordered frames", 0,
      v ? Count(v->corrupt + v->duplicates + v->reordered) : std::nullopt, "receiver",
      "payload header check and per-byte fill verified on every frame");

  // Link counters: veth counts every frame that crossed the pair, whichever path sent it. An
  // AF_XDP zero-copy send is counted where its driver counts it: virtio_net's XSK transmit
  // (drivers/net/virtio_net.c) adds it to the send queue's xdp_tx statistic (ethtool -S
  // tx_xdp_tx), not to tx_packets, which stays 0 for it.
  const bool zero_copy_tx = run.af_xdp_tx && run.sender.mode.zero_copy();
  const auto xdp_tx = a.ethtool.find("tx_xdp_tx");
  if (zero_copy_tx && xdp_tx != a.ethtool.end()) {
    add("device A tx_xdp_tx = sent (zero-copy sends)", sent, Count(xdp_tx->second), "ethtool -S",
        "the driver's count of AF_XDP zero-copy frames it transmitted (not in tx_packets)");
  } else {
    add("device A link tx_packets = sent", sent, a.link.tx_packets, "ip -s link",
        "kernel's count of frames leaving the sender's device");
  }

  if (!run.af_xdp_tx) {
    add("namespace A Udp OutDatagrams = sent (COPY #1 per datagram)", sent, a.udp.out_datagrams,
        "/proc/net/snmp", "every datagram went through udp_sendmsg");
  } else {
    add("namespace A Udp OutDatagrams = 0 (AF_XDP bypasses udp_sendmsg)", 0, a.udp.out_datagrams,
        "/proc/net/snmp", "frames were built in UMEM and sent by xsk_sendmsg");
  }
  if (!run.af_xdp_rx) {
    add("namespace B Udp InDatagrams = received (COPY #4 per datagram)", received,
        b.udp.in_datagrams, "/proc/net/snmp",
        "every datagram the receiver counted went through udp_recvmsg");
    add("lost = Udp RcvbufErrors (socket buffer overflow)", lost_rx, b.udp.rcvbuf_errors,
        "/proc/net/snmp", "where the socket path drops under load");
  } else {
    add("namespace B Udp InDatagrams = 0 (the UDP stack never saw them)", 0, b.udp.in_datagrams,
        "/proc/net/snmp", "frames were redirected to the XSK before the IP stack");
    // __xsk_rcv counts a frame it could not place as rx_dropped (no UMEM frame: fill ring empty)
    // or as rx_ring_full (RX ring full), never both (net/xdp/xsk.c).
    const auto& xs = run.receiver.xdp_statistics;
    const Count xsk_dropped = xs ? Count(xs->rx_dropped + xs->rx_ring_full) : std::nullopt;
    const auto& steer = run.receiver.steer;
    add("XDP program redirected = received + XSK drops (rx_dropped + rx_ring_full)",
        sum(received, xsk_dropped), steer ? Count(steer->redirected) : std::nullopt,
        "steering program per-CPU counters",
        "the BPF program's own count of frames sent to the XSKMAP");
    add("lost = XSK drops (rx_dropped: fill ring empty + rx_ring_full: RX ring full)", lost_rx,
        xsk_dropped, "XDP_STATISTICS", "where the AF_XDP path drops under load");
    const bool native = run.receiver.mode.xdp_mode() == XdpMode::kNative;
    const auto redirect = b.ethtool.find("rx_queue_0_xdp_redirect");
    add("veth rx_queue_0_xdp_redirect = received (native XDP only)", received,
        native && redirect != b.ethtool.end() ? Count(redirect->second) : std::nullopt,
        "ethtool -S",
        "veth's driver counter of successful XDP redirects (generic XDP bypasses it)");
  }
  return out;
}

}  // namespace copylab

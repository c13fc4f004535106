#include "harness/compare_checks.hpp"

#include <string>

#include "harness/compare_runner.hpp"

namespace copylab {
namespace {

// Reads a number at a JSON pointer; nullopt when the path does not exist.
std::optional<long long> at(const nlohmann::json& doc, const std::string& pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!doc.contains(p) || !doc.at(p).is_number()) return std::nullopt;
  return doc.at(p).get<long long>();
}

void add(nlohmann::json& out, const std::string& name, std::optional<long long> expected,
         std::optional<long long> observed, const std::string& source, const std::string& note) {
  out.push_back(check_row(name, expected, observed, source, note));
}

}  // namespace

nlohmann::json check_row(const std::string& name, std::optional<long long> expected,
                         std::optional<long long> observed, const std::string& source,
                         const std::string& note) {
  nlohmann::json row{{"name", name}, {"source", source}, {"note", note}};
  if (!expected || !observed) {
    row["ok"] = nullptr;
    row["unavailable"] = true;
  } else {
    row["expected"] = *expected;
    row["observed"] = *observed;
    row["ok"] = *expected == *observed;
  }
  return row;
}

nlohmann::json cross_checks(const RunRecord& rec) {
  nlohmann::json out = nlohmann::json::array();
  const auto sent = at(rec.sender, "/result/sent");
  const auto received = at(rec.receiver, "/result/received");
  const auto lost_rx = at(rec.receiver, "/result/lost");
  const auto& k = rec.kernel;

  add(out, "sender sent every frame asked for", static_cast<long long>(rec.phase.count), sent,
      "sender", "frames handed to the kernel by the sender");
  add(out, "sent = received + lost", sent,
      received && lost_rx ? std::optional<long long>(*received + *lost_rx) : std::nullopt,
      "receiver", "the receiver's validator: unique sequence numbers + missing ones");
  add(out, "no corrupt, duplicate or reordered frames", 0,
      [&]() -> std::optional<long long> {
        const auto c = at(rec.receiver, "/result/validator/corrupt");
        const auto d = at(rec.receiver, "/result/validator/duplicates");
        const auto r = at(rec.receiver, "/result/validator/reordered");
        if (!c || !d || !r) return std::nullopt;
        return *c + *d + *r;
      }(),
      "receiver", "payload header check and per-byte fill verified on every frame");

  // Link counters: veth counts every frame that crossed the pair, whichever path sent it.
  add(out, "device A link tx_packets = sent", sent, at(k, "/a/link/tx_packets"), "ip -s link",
      "kernel's count of frames leaving the sender's veth");

  if (rec.pair.tx == PathKind::kSocket) {
    add(out, "namespace A Udp OutDatagrams = sent (COPY #1 per datagram)", sent,
        at(k, "/a/udp/OutDatagrams"), "/proc/net/snmp",
        "every datagram went through udp_sendmsg");
  } else {
    add(out, "namespace A Udp OutDatagrams = 0 (AF_XDP bypasses udp_sendmsg)", 0,
        at(k, "/a/udp/OutDatagrams"), "/proc/net/snmp",
        "frames were built in UMEM and sent by xsk_sendmsg");
  }
  if (rec.pair.rx == PathKind::kSocket) {
    add(out, "namespace B Udp InDatagrams = received (COPY #4 per datagram)", received,
        at(k, "/b/udp/InDatagrams"), "/proc/net/snmp",
        "every datagram the receiver counted went through udp_recvmsg");
    const auto rcvbuf = at(k, "/b/udp/RcvbufErrors");
    add(out, "lost = Udp RcvbufErrors (socket buffer overflow)", lost_rx, rcvbuf,
        "/proc/net/snmp", "where the socket path drops under load");
  } else {
    add(out, "namespace B Udp InDatagrams = 0 (the UDP stack never saw them)", 0,
        at(k, "/b/udp/InDatagrams"), "/proc/net/snmp",
        "frames were redirected to the XSK before the IP stack");
    // __xsk_rcv counts a frame it could not place as rx_dropped (no UMEM frame: fill ring empty)
    // or as rx_ring_full (RX ring full), never both (net/xdp/xsk.c).
    const auto rx_dropped = at(rec.receiver, "/counters/xdp_statistics/rx_dropped");
    const auto ring_full = at(rec.receiver, "/counters/xdp_statistics/rx_ring_full");
    const auto xsk_dropped = rx_dropped && ring_full
                                 ? std::optional<long long>(*rx_dropped + *ring_full)
                                 : std::nullopt;
    add(out, "XDP program redirected = received + XSK drops (rx_dropped + rx_ring_full)",
        received && xsk_dropped ? std::optional<long long>(*received + *xsk_dropped) : std::nullopt,
        at(rec.receiver, "/counters/steer/redirected"), "steering program per-CPU counters",
        "the BPF program's own count of frames sent to the XSKMAP");
    add(out, "lost = XSK drops (rx_dropped: fill ring empty + rx_ring_full: RX ring full)",
        lost_rx, xsk_dropped, "XDP_STATISTICS", "where the AF_XDP path drops under load");
    const bool native = parse_xdp_mode(rec.receiver.value("mode", nlohmann::json::object())
                                           .value("xdp_attach", "")) == XdpMode::kNative;
    add(out, "veth rx_queue_0_xdp_redirect = received (native XDP only)", received,
        native ? at(k, "/b/ethtool/rx_queue_0_xdp_redirect") : std::nullopt, "ethtool -S",
        "veth's driver counter of successful XDP redirects (generic XDP bypasses it)");
  }
  return out;
}

}  // namespace copylab

#include "harness/loss_accounting.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "harness/compare_runner.hpp"

namespace copylab {
namespace {

long long at_or_0(const nlohmann::json& doc, const char* pointer) {
  const nlohmann::json::json_pointer p(pointer);
  return doc.contains(p) && doc.at(p).is_number() ? doc.at(p).get<long long>() : 0;
}

std::optional<long long> at(const nlohmann::json& doc, const char* pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!doc.contains(p) || !doc.at(p).is_number()) return std::nullopt;
  return doc.at(p).get<long long>();
}

}  // namespace

std::string with_commas(long long n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

nlohmann::json explain_loss(const RunRecord& rec) {
  const auto sent = at(rec.sender, "/result/sent");
  const auto received = at(rec.receiver, "/result/received");
  if (!sent || !received) return nullptr;
  const auto& k = rec.kernel;
  const long long lost = *sent - *received;

  nlohmann::json drops = nlohmann::json::array();
  auto drop = [&](std::string counter, std::string source, std::string meaning, long long n) {
    drops.push_back({{"counter", std::move(counter)},
                     {"source", std::move(source)},
                     {"meaning", std::move(meaning)},
                     {"frames", std::max(0LL, n)}});
  };
  drop("sender TX queue at exit", "sender in_flight_at_end",
       "handed to the kernel but never completed when the sender gave up waiting",
       at_or_0(rec.sender, "/result/in_flight_at_end"));
  // XSK drops: __xsk_rcv counts a frame it could not place as rx_dropped (no free UMEM frame)
  // or rx_ring_full, never both (net/xdp/xsk.c).
  const bool xsk = rec.pair.rx == PathKind::kAfXdp;
  const long long xsk_rx_dropped =
      xsk ? at_or_0(rec.receiver, "/counters/xdp_statistics/rx_dropped") : 0;
  const long long xsk_ring_full =
      xsk ? at_or_0(rec.receiver, "/counters/xdp_statistics/rx_ring_full") : 0;
  // veth_xmit counts a frame its peer refused (backlog or XDP ring full) on the sending device
  // (tx_dropped); the receiving device's rx_dropped holds backlog drops (enqueue_to_backlog) and,
  // with native XDP, every frame the program could not redirect (veth_xdp_rcv), i.e. the XSK's
  // drops above. One frame can show in both devices, so the link's share is the larger of A's
  // tx_dropped and what B's rx_dropped holds beyond the XSK's drops.
  const long long a_tx_dropped = at_or_0(k, "/a/link/tx_dropped");
  const long long b_rx_dropped = at_or_0(k, "/b/link/rx_dropped");
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
       at_or_0(k, "/b/udp/NoPorts"));
  // __udp_queue_rcv_skb counts a full socket buffer as RcvbufErrors and InErrors both; InErrors
  // also holds checksum errors, so it is the one to add.
  drop(fmt::format("Udp InErrors (namespace B; RcvbufErrors {})", at_or_0(k, "/b/udp/RcvbufErrors")),
       "/proc/net/snmp", "B's UDP stack dropped it: socket buffer full or bad checksum",
       at_or_0(k, "/b/udp/InErrors"));

  long long explained = 0;
  for (const auto& d : drops) explained += d.at("frames").get<long long>();

  nlohmann::json also = nlohmann::json::array();
  if (const long long n = at_or_0(rec.receiver, "/counters/steer/passed_no_xsk"); n != 0) {
    also.push_back(fmt::format("the XDP program passed {} frames of the port to the stack (no XSK "
                               "on the queue yet)",
                               with_commas(n)));
  }
  if (const long long n = at_or_0(rec.receiver, "/counters/xdp_statistics/rx_fill_ring_empty_descs");
      n != 0) {
    also.push_back(fmt::format("the fill ring was found empty {} times", with_commas(n)));
  }
  const std::string stopped = rec.receiver.value("/result/stopped_by"_json_pointer, std::string());
  if (stopped == "drain") {
    also.push_back("the receiver stopped once the sender had finished and no frame came for its "
                   "drain period");
  } else if (!stopped.empty() && stopped != "count") {
    also.push_back("the receiver stopped by " + stopped);
  }
  if (explained > lost) {
    also.push_back(fmt::format("the counters hold {} more drops than frames were lost: they also "
                               "count other traffic in the namespaces",
                               with_commas(explained - lost)));
  }

  std::string text = fmt::format("sent {} = received {}", with_commas(*sent), with_commas(*received));
  if (lost <= 0) text += ": nothing lost";
  for (const auto& d : drops) {
    const long long n = d.at("frames").get<long long>();
    if (n != 0 && lost > 0) text += fmt::format(" + {} {}", d.at("counter").get<std::string>(), with_commas(n));
  }
  const long long unexplained = std::max(0LL, lost - explained);
  if (lost > 0) text += fmt::format(" + unexplained {}", with_commas(unexplained));
  return {{"sent", *sent},       {"received", *received},     {"lost", lost},
          {"drops", drops},      {"explained", explained},    {"unexplained", unexplained},
          {"also", also},        {"text", text}};
}

}  // namespace copylab

#include "kmod/backend/probe_sites.hpp"

#include <fmt/format.h>

namespace copylab::kmod {

const std::vector<ProbeSite>& probe_sites() {
  // Lengths as the lab measured them on veth: at __dev_queue_xmit/__dev_direct_xmit, in
  // skb_store_bits, __xsk_rcv and veth's skb_copy_bits the frame has all 42 header bytes; in
  // generic XDP's pskb_expand_head the Ethernet header is already pulled (+28).
  static const std::vector<ProbeSite> sites{
      {"COPY1", "COPY #1 user buffer -> kernel skb (send)", 0, true, true},
      {"COPY1_CSUM", "COPY #1 user buffer -> kernel skb while checksumming (send)", 0, true, true},
      {"COPY2", "skb handed to the device, socket path", 42, true, false},
      {"COPY4", "COPY #4 kernel skb -> user buffer (receive)", 0, false, true},
      {"COPY4_CSUM", "COPY #4 kernel skb -> user buffer while checksumming (receive)", 0, false, true},
      {"XSK_TX", "AF_XDP TX copy: UMEM frame -> skb", 42, true, true},
      {"XSK_XMIT", "skb handed to the device, AF_XDP path", 42, true, false},
      {"XSK_RX", "AF_XDP RX copy: xdp_buff -> UMEM frame", 42, false, true},
      {"XDP_COW", "native veth XDP headroom copy: skb -> page", 42, false, true},
      {"XDP_EXPAND", "generic XDP headroom copy (head reallocated)", 28, false, true},
  };
  return sites;
}

const ProbeSite* find_probe_site(const std::string& site) {
  for (const ProbeSite& s : probe_sites())
    if (site == s.site) return &s;
  return nullptr;
}

std::optional<std::uint64_t> payload_hits(const CopyprobeCounters& c, const ProbeSite& site,
                                          std::uint64_t payload) {
  const SiteCounters* s = c.site(site.site);
  if (s == nullptr || !s->attached()) return std::nullopt;
  return s->hits_of_len(payload + site.header_bytes);
}

UserCopyHits user_copy_hits(const CopyprobeCounters& c, const UserCopySites& sites,
                            std::uint64_t payload) {
  UserCopyHits out;
  const ProbeSite* plain = find_probe_site(sites.plain);
  const SiteCounters* p = c.site(sites.plain);
  if (plain == nullptr || p == nullptr || !p->attached()) return out;
  out.hits = payload_hits(c, *plain, payload);
  out.symbols = p->symbol;
  const ProbeSite* csum = find_probe_site(sites.csum);
  const SiteCounters* k = c.site(sites.csum);
  if (csum == nullptr || k == nullptr || !k->attached()) return out;
  out.csum_counted = true;
  out.symbols += " + " + k->symbol;
  const auto n = payload_hits(c, *csum, payload);
  out.hits = out.hits && n ? std::optional<std::uint64_t>(*out.hits + *n) : std::nullopt;
  return out;
}

std::string measured_at(const ProbeSite& site, const SiteCounters& s) {
  return std::string("exact at the ") + (site.is_copy ? "copy function" : "device hand-off") +
         " (kprobe module copyprobe: " + s.symbol + ")";
}

std::vector<std::string> evidence_lines(const CopyprobeCounters& c, std::uint64_t payload,
                                        std::uint64_t sent, std::uint64_t received) {
  std::vector<std::string> lines;
  for (const ProbeSite& site : probe_sites()) {
    const SiteCounters* s = c.site(site.site);
    if (s == nullptr) continue;
    const std::uint64_t len = payload + site.header_bytes;
    if (!s->attached()) {
      lines.push_back(fmt::format("{:<10} {}: not measurable (kprobe on {} {})", site.site,
                                  site.what, s->symbol, s->state));
      continue;
    }
    const auto n = s->hits_of_len(len);
    const std::uint64_t packets = site.per_sent ? sent : received;
    const std::string per =
        n && packets > 0 ? fmt::format(" = {:.2f} per packet {}",
                                       static_cast<double>(*n) / static_cast<double>(packets),
                                       site.per_sent ? "sent" : "received")
                         : std::string();
    lines.push_back(fmt::format(
        "{:<10} {}: {} calls of {} B{} [{}]; {} calls in all ({} B), {}, nmissed {}", site.site,
        site.what, n ? std::to_string(*n) : std::string("unknown (length table full)"), len, per,
        measured_at(site, *s), s->hits, s->bytes,
        s->scope == "task" ? "copylab's tools only" : "every task", s->nmissed));
  }
  return lines;
}

}  // namespace copylab::kmod

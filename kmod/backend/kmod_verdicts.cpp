#include "kmod/backend/kmod_verdicts.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "kmod/backend/probe_sites.hpp"

namespace copylab::kmod {
namespace {

using trace::VerdictCell;

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

// A user copy's cell: its plain and checksumming copy functions together (one of the two copies
// each datagram, depending on checksum offload).
VerdictCell user_copy_cell(const KmodPathRun& run, const UserCopySites& sites, std::uint64_t payload) {
  const UserCopyHits h = user_copy_hits(*run.counters, sites, payload);
  if (!h.csum_counted || !h.hits) return site_cell(run, sites.plain, payload);
  // Both sites are attached and known here (user_copy_hits checked them).
  const ProbeSite& site = *find_probe_site(sites.plain);
  const std::uint64_t packets = site.per_sent ? run.sent : run.received;
  std::optional<double> per;
  if (packets > 0) per = static_cast<double>(*h.hits) / static_cast<double>(packets);
  return {per,
          "exact at the copy functions (kprobe module copyprobe: " + h.symbols + ")",
          fmt::format("{} calls of {} B at {} for {} packets {} (nmissed {})", *h.hits, payload,
                      h.symbols, packets, site.per_sent ? "sent" : "received",
                      run.counters->site(sites.plain)->nmissed + run.counters->site(sites.csum)->nmissed)};
}

// copyprobe's counts at the copy functions themselves, site by site.
class ModuleCopyCounts final : public trace::CopyCounts {
 public:
  ModuleCopyCounts(const KmodPathRun& socket, const KmodPathRun& af_xdp, std::uint64_t payload)
      : socket_(socket), af_xdp_(af_xdp), payload_(payload) {}

  trace::RowMeasure measure(trace::CopyRow row, const trace::AfXdpRunMode& mode) const override {
    using trace::CopyRow;
    switch (row) {
      case CopyRow::kCopy1:
        return {user_copy_cell(socket_, kCopy1Sites, payload_),
                user_copy_cell(af_xdp_, kCopy1Sites, payload_), ""};
      case CopyRow::kCopy4:
        return {user_copy_cell(socket_, kCopy4Sites, payload_),
                user_copy_cell(af_xdp_, kCopy4Sites, payload_), ""};
      case CopyRow::kXskTx: return both("XSK_TX");
      case CopyRow::kXskRx: return both("XSK_RX");
      case CopyRow::kHeadroom:
        return both(mode.xdp_mode == XdpMode::kGeneric ? "XDP_EXPAND" : "XDP_COW");
      case CopyRow::kCopy2:
        // veth has no DMA: what the module counts here is the hand-off of the skb to the device.
        return {site_cell(socket_, "COPY2", payload_), site_cell(af_xdp_, "XSK_XMIT", payload_),
                "n/a on veth (no DMA: the count is the skb's hand-off to the device, not a copy)"};
      case CopyRow::kCopy3:
        return {{std::nullopt, "", "no DMA on veth"}, {std::nullopt, "", "no DMA on veth"},
                "n/a on veth (no DMA)"};
    }
    return {};
  }

  std::string native_headroom_function() const override { return "skb_copy_bits"; }
  std::string how_user_copies_counted() const override {
    return "exact at _copy_from_iter/_copy_to_iter (and their checksumming twins where "
           "attached), counted by the kprobe module copyprobe";
  }
  std::string why_user_copies_not_counted() const override {
    return "see the rows' evidence: a kprobe that did not attach or a length table that overflowed";
  }

 private:
  trace::RowMeasure both(const char* site) const {
    return {site_cell(socket_, site, payload_), site_cell(af_xdp_, site, payload_), ""};
  }

  const KmodPathRun& socket_;
  const KmodPathRun& af_xdp_;
  std::uint64_t payload_;
};

}  // namespace

trace::VerdictTable make_kmod_verdicts(const KmodPathRun& socket, const KmodPathRun& af_xdp,
                                       std::uint64_t payload, const std::string& zero_copy_note) {
  if (socket.counters == nullptr || af_xdp.counters == nullptr)
    throw Error("make_kmod_verdicts: both paths need copyprobe counters",
                "run the module on the socket run and on the AF_XDP run");
  return trace::build_verdicts(ModuleCopyCounts(socket, af_xdp, payload),
                               {af_xdp.xdp_mode, af_xdp.zero_copy}, zero_copy_note);
}

}  // namespace copylab::kmod

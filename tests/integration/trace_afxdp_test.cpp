// trace/: the cross-check on the AF_XDP path (native and generic XDP on veth, copy mode), and
// the verdict table built from a socket run and an AF_XDP run measured in the same test.
#include <gtest/gtest.h>

#include <unistd.h>

#include <iostream>
#include <ostream>

#include "netns/topology.hpp"
#include "evidence/capabilities.hpp"
#include "evidence/cross_check.hpp"
#include "evidence/device_probe.hpp"
#include "evidence/hist_format.hpp"
#include "evidence/scope.hpp"
#include "evidence/verdict.hpp"
#include "trace_test_support.hpp"

using namespace copylab;
using namespace copylab::trace;
using namespace copylab::trace::testing;

namespace {

constexpr std::uint64_t kFrames = 100'000;

ScopeSpec netns_scope(const TopologyConfig& t) {
  ScopeSpec s;
  s.netns_inums = {named_netns_inode(t.ns_a), named_netns_inode(t.ns_b)};
  return s;
}

struct Measured {
  XskRun run;
  CrossCheckResult result;
};

Measured measure_af_xdp(const TopologyConfig& t, bool native, std::uint64_t frames) {
  CrossCheck cc;
  cc.start(netns_scope(t));
  XskRun run = run_af_xdp(t, frames, native);
  return {run, cc.stop()};
}

class AfXdpLedger : public ::testing::TestWithParam<bool> {};

TEST_P(AfXdpLedger, NoUserCopiesAndTheKernelCopySitesAreListed) {
  const bool native = GetParam();
  Topology topo = Topology::create_unique(native ? "tracexn" : "tracexg");
  const Measured m = measure_af_xdp(topo.config(), native, kFrames);
  const CopyLedger& l = m.result.ledger;
  ASSERT_EQ(m.run.sent, kFrames);
  ASSERT_EQ(m.run.received, kFrames);
  EXPECT_EQ(m.run.xdp_attach, native ? "native" : "generic");
  EXPECT_EQ(m.run.bind, "copy");

  // Zero user<->kernel payload copies, exactly.
  EXPECT_EQ(l.count(ledger_id::kCopy1), 0U) << format_ledger(l);
  EXPECT_EQ(l.count(ledger_id::kCopy4), 0U);
  // The TX kicks: sendto on the XSK, copying no user bytes.
  EXPECT_GT(l.count(ledger_id::kXskTxKick), 0U);
  EXPECT_EQ(l.bytes(ledger_id::kXskTxKick), 0U);
  // Every frame went through an XSKMAP redirect: the copy into UMEM follows each one.
  EXPECT_EQ(l.count(ledger_id::kXdpRedirectXsk), m.run.received) << format_ledger(l);
  // No socket transmit path: AF_XDP uses __dev_direct_xmit.
  EXPECT_EQ(l.count(ledger_id::kDevQueue), 0U);
  if (native) {
    // veth's native XDP copies the skb into a page_pool page for headroom, then frees it.
    EXPECT_GE(l.frees_in("consume_skb", "skb_pp_cow_data"), m.run.received) << format_ledger(l);
    const StackHistogram* h = m.result.histogram("xdp:xdp_redirect");
    ASSERT_NE(h, nullptr);
    EXPECT_TRUE(hist_has_chain(*h, {"veth_xdp_rcv_skb", "__dev_direct_xmit",
                                    "__xsk_generic_xmit", "xsk_sendmsg"}))
        << format_hist(*h);
  } else {
    EXPECT_GE(l.frees_in("consume_skb", "xdp_do_generic_redirect"), m.run.received)
        << format_ledger(l);
    // The AF_XDP copy-mode stack at netif_receive_skb (generic mode).
    const StackHistogram* h = m.result.histogram("net:netif_receive_skb");
    ASSERT_NE(h, nullptr);
    EXPECT_TRUE(hist_has_chain(*h, {"process_backlog", "__dev_direct_xmit", "__xsk_generic_xmit",
                                    "xsk_sendmsg"}))
        << format_hist(*h);
    EXPECT_FALSE(hist_has_chain(*h, {"udp_sendmsg"}));
  }
  // Sampled evidence of where the kernel copies run (machine-wide samples).
  const CopySiteReport& cs = m.result.copy_sites;
  ASSERT_GT(cs.kernel_samples, 0U);
  const CopySite* tx = cs.site("skb_store_bits");
  const CopySite* rx = cs.site("xsk_rcv");
  ASSERT_TRUE(tx && rx);
  EXPECT_GT(tx->samples + rx->samples, 0U) << format_copy_sites(cs);
  // In scope (the experiment's tasks), no sample ever lands in a socket send/receive copy.
  EXPECT_EQ(cs.site("copy_from_iter")->samples, 0U) << format_copy_sites(cs);
  EXPECT_EQ(cs.site("copy_to_iter")->samples, 0U) << format_copy_sites(cs);
}

INSTANTIATE_TEST_SUITE_P(Mode, AfXdpLedger, ::testing::Values(true, false),
                         [](const auto& p) { return std::string(p.param ? "native" : "generic"); });

// The cost tiers on the AF_XDP path: what the cheap configurations attach, and that their counts
// stay exact. Rows: XDP mode x tier (x redirect counted by veth's own counter or the tracepoint).
enum class RedirectSource { kTracepoint, kVethCounter, kGenericFrees };

struct TierRow {
  bool native;
  CheckTier tier;
  RedirectSource source;  // where the XSK redirect count comes from
};

const char* name(RedirectSource s) {
  return s == RedirectSource::kVethCounter    ? "_vethcounter"
         : s == RedirectSource::kGenericFrees ? "_genericfrees"
                                              : "";
}

void PrintTo(const TierRow& r, std::ostream* os) {
  *os << (r.native ? "native " : "generic ") << to_string(r.tier)
      << name(r.source);
}

class AfXdpTier : public ::testing::TestWithParam<TierRow> {};

TEST_P(AfXdpTier, CheapConfigurationsKeepTheCountsExact) {
  const TierRow row = GetParam();
  Topology topo = Topology::create_unique(row.native ? "tiern" : "tierg");
  const TopologyConfig& t = topo.config();
  CrossCheckOptions o = cross_check_options(row.tier);
  if (row.source == RedirectSource::kVethCounter)
    o.redirect_counter_device = CounterDevice{t.ns_b, t.dev_b};
  o.redirect_from_generic_frees = row.source == RedirectSource::kGenericFrees;
  CrossCheck cc(o);
  cc.start(netns_scope(t));
  const XskRun run = run_af_xdp(t, kFrames, row.native);
  const CrossCheckResult r = cc.stop();
  const CopyLedger& l = r.ledger;
  ASSERT_EQ(run.received, kFrames);

  // The redirect count is exact whichever source counted it, and says which.
  const LedgerLine* redirect = l.line(ledger_id::kXdpRedirectXsk);
  ASSERT_NE(redirect, nullptr);
  EXPECT_EQ(redirect->measured, row.source == RedirectSource::kVethCounter
                                    ? trace::Measured::kExactKernelCounter
                                    : trace::Measured::kExactTracepoint)
      << format_ledger(l);
  if (row.source == RedirectSource::kGenericFrees) {
    EXPECT_EQ(redirect->tracepoint, "skb:consume_skb in xdp_do_generic_redirect");
  }
  EXPECT_EQ(l.count(ledger_id::kXdpRedirectXsk), run.received) << format_ledger(l);
  // The headroom copy's free is counted exactly (a watched function), never on a sample.
  const char* freer = row.native ? "skb_pp_cow_data" : "xdp_do_generic_redirect";
  EXPECT_GE(l.frees_in("consume_skb", freer), run.received) << format_ledger(l);
  EXPECT_LE(l.frees_in("consume_skb", freer), l.count(ledger_id::kConsumeSkb)) << format_ledger(l);
  EXPECT_EQ(l.count(ledger_id::kCopy1), 0U);
  EXPECT_EQ(l.count(ledger_id::kCopy4), 0U);

  // The ledger tier leaves the per-packet path markers off and says so (not a zero).
  const LedgerLine* marker = l.line(ledger_id::kNetifReceiveSkb);
  ASSERT_NE(marker, nullptr);
  if (row.tier == CheckTier::kLedger) {
    EXPECT_EQ(marker->measured, trace::Measured::kNotCollected) << format_ledger(l);
    EXPECT_FALSE(marker->available());
    EXPECT_TRUE(r.histograms.empty());
  }
  // Sampled stacks: one event in 64 per CPU, and the histogram says so.
  if (row.tier == CheckTier::kLedgerStacks) {
    const StackHistogram* h = r.histogram("xdp:xdp_redirect");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->sample_every, 64U);
    const std::uint64_t cpus = static_cast<std::uint64_t>(::sysconf(_SC_NPROCESSORS_CONF));
    EXPECT_GE(h->total_hits() + h->dropped, run.received / 64) << format_hist(*h);
    EXPECT_LE(h->total_hits() + h->dropped, run.received / 64 + cpus) << format_hist(*h);
    EXPECT_NE(format_hist(*h).find("sampled: the stack of 1 event in 64"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rows, AfXdpTier,
    ::testing::Values(TierRow{true, CheckTier::kLedger, RedirectSource::kVethCounter},
                      TierRow{true, CheckTier::kLedger, RedirectSource::kTracepoint},
                      TierRow{false, CheckTier::kLedger, RedirectSource::kGenericFrees},
                      TierRow{false, CheckTier::kLedger, RedirectSource::kTracepoint},
                      TierRow{true, CheckTier::kLedgerStacks, RedirectSource::kTracepoint},
                      TierRow{false, CheckTier::kLedgerStacks, RedirectSource::kTracepoint}),
    [](const auto& p) {
      return std::string(p.param.native ? "native_" : "generic_") +
             (p.param.tier == CheckTier::kLedger ? "ledger" : "stacks") + name(p.param.source);
    });

TEST(Verdicts, SocketVersusAfXdpOnVethIsMoved) {
  Topology topo = Topology::create_unique("tracev");
  const TopologyConfig& t = topo.config();
  CrossCheckResult sock_result;
  UdpRun sock;
  {
    CrossCheck cc;
    cc.start(netns_scope(t));
    sock = run_udp(t, 20'000, 1);
    sock_result = cc.stop();
  }
  const Measured xsk = measure_af_xdp(t, true, kFrames);
  const DeviceCapabilities dev = probe_device("", "");
  Capabilities caps;
  caps.devices.push_back(dev);

  const VerdictTable v = make_verdicts(
      {"socket", sock.sent, sock.received, &sock_result, std::nullopt, false},
      {"af_xdp", xsk.run.sent, xsk.run.received, &xsk.result, parse_xdp_mode(xsk.run.xdp_attach),
       xsk.run.bind == "zero-copy"},
      zero_copy_note(caps));
  const std::string text = format_verdicts(v);
  std::cout << text;  // the table as `copylab compare` shows it, for the CI log
  auto row = [&](const std::string& id) -> const VerdictRow& {
    for (const VerdictRow& r : v.rows)
      if (r.id == id) return r;
    throw std::runtime_error("no row " + id);
  };
  // COPY #1 / #4: exactly one per packet on the socket path, none on AF_XDP, moved into the kernel.
  EXPECT_DOUBLE_EQ(*row("copy1").socket.per_packet, 1.0) << text;
  EXPECT_DOUBLE_EQ(*row("copy1").af_xdp.per_packet, 0.0) << text;
  EXPECT_EQ(row("copy1").verdict.rfind("moved to skb_store_bits", 0), 0U) << text;
  EXPECT_DOUBLE_EQ(*row("copy4").socket.per_packet, 1.0) << text;
  EXPECT_DOUBLE_EQ(*row("copy4").af_xdp.per_packet, 0.0) << text;
  EXPECT_EQ(row("copy4").verdict.rfind("moved to __xsk_rcv", 0), 0U) << text;
  // veth: no DMA, the sender's skb buffer is the receiver's.
  EXPECT_EQ(row("copy2").verdict.rfind("n/a on veth", 0), 0U) << text;
  // The copies AF_XDP copy mode adds, one per frame at the XSKMAP redirect.
  EXPECT_DOUBLE_EQ(*row("xsk_rx_copy").af_xdp.per_packet, 1.0) << text;
  EXPECT_GE(*row("xdp_headroom_copy").af_xdp.per_packet, 1.0) << text;
  EXPECT_NE(v.summary.find("moved, not gone"), std::string::npos) << text;
  EXPECT_NE(v.zero_copy_note.find("EOPNOTSUPP"), std::string::npos) << v.zero_copy_note;
  const nlohmann::json j = to_json(v);
  EXPECT_EQ(j["rows"].size(), v.rows.size());

}

}  // namespace

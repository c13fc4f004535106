// trace/: the cross-check on real traffic. Two uniquely named namespace pairs: the experiment's
// and a background one; the ledger must count exactly the experiment's datagrams (COPY #1 =
// sent, COPY #4 = received, both equal to the namespaces' UDP MIB), none of the background's,
// show the socket transmit stack in the netif_receive_skb histogram, and leave nothing attached.
#include <gtest/gtest.h>
#include <net/if.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <set>

#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "evidence/capabilities.hpp"
#include "evidence/cross_check.hpp"
#include "evidence/hist_format.hpp"
#include "evidence/nic_features.hpp"
#include "evidence/scope.hpp"
#include "trace_test_support.hpp"

using namespace copylab;
using namespace copylab::trace;
using namespace copylab::trace::testing;

namespace {

constexpr std::uint64_t kDatagrams = 3000;
constexpr std::uint64_t kBackground = 1000;
constexpr std::uint64_t kPayloadBytes = 64;

// The kernel frees a detached program after an RCU grace period: poll (bounded) until it is gone.
std::set<std::uint32_t> progs_still_alive(const std::set<std::uint32_t>& ids) {
  std::set<std::uint32_t> alive = ids;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!alive.empty() && std::chrono::steady_clock::now() < give_up) {
    std::erase_if(alive, [](std::uint32_t id) { return !bpf_prog_exists(id); });
    if (!alive.empty()) ::usleep(10'000);
  }
  return alive;
}

ScopeSpec netns_scope(const TopologyConfig& t) {
  ScopeSpec s;
  s.netns_inums = {named_netns_inode(t.ns_a), named_netns_inode(t.ns_b)};
  return s;
}

class SocketLedger : public ::testing::TestWithParam<unsigned> {};

TEST_P(SocketLedger, CopiesCountedExactlyAndOnlyTheExperiments) {
  const unsigned batch = GetParam();
  Topology topo = Topology::create_unique("trace");
  Topology background = Topology::create_unique("tracebg");
  const TopologyConfig& t = topo.config();

  const UdpMib a0 = read_udp_mib(t.ns_a), b0 = read_udp_mib(t.ns_b);
  CrossCheck cc;
  cc.start(netns_scope(t));
  // Background traffic at the same time, from the same process, in other namespaces.
  auto bg = std::async(std::launch::async, [&] { return run_udp(background.config(), kBackground, 1); });
  const UdpRun run = run_udp(t, kDatagrams, batch);
  const UdpRun bg_run = bg.get();
  const CrossCheckResult r = cc.stop();
  const UdpMib a1 = read_udp_mib(t.ns_a), b1 = read_udp_mib(t.ns_b);

  ASSERT_EQ(run.sent, kDatagrams);
  ASSERT_GT(run.received, 0U);
  ASSERT_EQ(bg_run.sent, kBackground);  // the background really ran
  const CopyLedger& l = r.ledger;
  // COPY #1: one per datagram sent, 64 bytes each; COPY #4: one per datagram received.
  EXPECT_EQ(l.count(ledger_id::kCopy1), run.sent) << format_ledger(l);
  EXPECT_EQ(l.bytes(ledger_id::kCopy1), run.sent * kPayloadBytes);
  EXPECT_EQ(l.count(ledger_id::kCopy4), run.received) << format_ledger(l);
  EXPECT_EQ(l.bytes(ledger_id::kCopy4), run.received * kPayloadBytes);
  // ...and they agree with the kernel's own UDP MIB of the two namespaces.
  EXPECT_EQ(l.count(ledger_id::kCopy1), a1.out_datagrams - a0.out_datagrams);
  EXPECT_EQ(l.count(ledger_id::kCopy4), b1.in_datagrams - b0.in_datagrams);
  // The socket path never touches AF_XDP.
  EXPECT_EQ(l.count(ledger_id::kXskTxKick), 0U);
  EXPECT_EQ(l.count(ledger_id::kXdpRedirectXsk), 0U);
  // Every datagram was queued on the sender's veth and entered the receiver's stack.
  EXPECT_GE(l.count(ledger_id::kDevQueue), run.sent);
  EXPECT_GE(l.count(ledger_id::kNetifReceiveSkb), run.received);

  // The socket transmit stack, as a netif_receive_skb stack histogram shows it.
  const StackHistogram* h = r.histogram("net:netif_receive_skb");
  ASSERT_NE(h, nullptr);
  EXPECT_TRUE(hist_has_chain(*h, {"__netif_receive_skb_one_core", "process_backlog",
                                  "__dev_queue_xmit", "ip_finish_output2", "ip_send_skb",
                                  "udp_send_skb", "udp_sendmsg"}))
      << format_hist(*h);
  // One hit per event the ledger counted at the same tracepoint: no stack lost. Keyed by the
  // stack itself, two stacks never share a slot (a stack-trace map's hash bucket can: the second
  // stack then loses every hit).
  EXPECT_EQ(h->dropped, 0U) << format_hist(*h);
  EXPECT_EQ(h->total_hits(), l.count(ledger_id::kNetifReceiveSkb)) << format_hist(*h);

  // The payload the sender wrote sits in a kernel buffer (direct map) 42 bytes after the frame.
  bool found = false;
  for (const PayloadSample& s : l.payload_samples) {
    if (s.where != "net:net_dev_queue") continue;
    EXPECT_LT(s.seq, kDatagrams);
    EXPECT_GE(s.payload, 0xffff800000000000ULL);
    EXPECT_EQ(s.payload, s.data + 42);
    found = true;
  }
  EXPECT_TRUE(found) << "no payload sample at net_dev_queue";

  // Syscalls are not counted without a pid/task scope... here the task netns scope is the
  // test's own threads while inside the namespaces: sendto/sendmmsg show up.
  if (batch == 1) {
    EXPECT_GE(l.syscalls_named("sendto"), run.sent);
  } else {
    EXPECT_GE(l.syscalls_named("sendmmsg"), run.send_calls);
    EXPECT_LT(l.syscalls_named("sendmmsg"), run.sent);
  }
}

INSTANTIATE_TEST_SUITE_P(Batch, SocketLedger, ::testing::Values(1U, 32U),
                         [](const auto& p) { return "batch" + std::to_string(p.param); });

// The exact-ledger tier as compare's unpaced runs attach it (netns + this process's pid, no fork
// following): COPY #1/#4 still exact, system calls counted by the pid's own per-CPU slots, and
// the socket path's three per-packet markers left off and reported as not collected.
TEST(SocketLedgerTier, LedgerOnlyStaysExactWithoutTheMarkers) {
  Topology topo = Topology::create_unique("tiers");
  const TopologyConfig& t = topo.config();
  ScopeSpec s = netns_scope(t);
  s.pids = {::getpid()};
  s.follow_forks = false;
  CrossCheck cc(cross_check_options(CheckTier::kLedger));
  cc.start(s);
  const UdpRun run = run_udp(t, kDatagrams, 32);
  const CopyLedger l = cc.stop().ledger;
  ASSERT_EQ(run.received, kDatagrams);
  EXPECT_EQ(l.count(ledger_id::kCopy1), run.sent) << format_ledger(l);
  EXPECT_EQ(l.count(ledger_id::kCopy4), run.received) << format_ledger(l);
  EXPECT_EQ(l.bytes(ledger_id::kCopy1), run.sent * kPayloadBytes);
  for (std::string_view id : {ledger_id::kDevQueue, ledger_id::kDevStartXmit, ledger_id::kNetifReceiveSkb}) {
    const LedgerLine* m = l.line(id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->measured, Measured::kNotCollected) << id;
  }
  EXPECT_GE(l.syscalls_named("sendmmsg"), run.send_calls) << l.syscalls_gap;
  EXPECT_LT(l.syscalls_named("sendmmsg"), run.sent);
  EXPECT_TRUE(l.syscalls_gap.empty()) << l.syscalls_gap;
  for (const SyscallCount& c : l.syscalls) EXPECT_EQ(c.tgid, ::getpid()) << c.name;
}

TEST(CrossCheckHygiene, NothingLeftAttachedAfterStop) {
  Topology topo = Topology::create_unique("traceh");
  const int perf_before = perf_event_fds_of(::getpid());
  BpfIds held;
  {
    CrossCheck cc;
    cc.start(netns_scope(topo.config()));
    held = bpf_ids_of(::getpid());
    EXPECT_GE(held.progs.size(), 10U);  // the tracepoint programs + the sampler
    EXPECT_GE(held.links.size(), 10U);
    EXPECT_GT(perf_event_fds_of(::getpid()), perf_before);  // cpu-clock events
    run_udp(topo.config(), 100, 1);
    const CrossCheckResult r = cc.stop();
    EXPECT_EQ(r.ledger.count(ledger_id::kCopy1), 100U);
  }
  for (std::uint32_t id : held.links) EXPECT_FALSE(bpf_link_exists(id)) << "link " << id;
  EXPECT_TRUE(progs_still_alive(held.progs).empty());
  EXPECT_EQ(perf_event_fds_of(::getpid()), perf_before);
  EXPECT_EQ(tracefs_instances_of(::getpid()), 0);
}

TEST(CrossCheckHygiene, DestructorDetachesWithoutStop) {
  BpfIds held;
  {
    CrossCheck cc;
    ScopeSpec s;
    s.pids = {::getpid()};
    cc.start(s);
    held = bpf_ids_of(::getpid());
    ASSERT_FALSE(held.links.empty());
  }  // an exception or a signal unwinding through here takes the same path
  for (std::uint32_t id : held.links) EXPECT_FALSE(bpf_link_exists(id)) << "link " << id;
  EXPECT_TRUE(progs_still_alive(held.progs).empty());
}

// The kprobe backend on real traffic: where the kernel has kprobes, COPY #1/#4 counted at the copy
// functions equal the datagrams; where it has none (this project's build host), every kprobe line
// is unavailable with the doctor's reason and the backends list says so: no zeros.
TEST(KprobeBackend, CountsAtTheCopyFunctionsOrSaysWhyNot) {
  Topology topo = Topology::create_unique("tracekp");
  const Capability kp = probe_kprobes();
  CrossCheck cc;
  cc.start(netns_scope(topo.config()));
  const UdpRun run = run_udp(topo.config(), 500, 1);
  const CrossCheckResult r = cc.stop();
  ASSERT_EQ(run.sent, 500U);
  const BackendStatus* backend = nullptr;
  for (const BackendStatus& b : r.backends)
    if (b.name.find("kprobe") != std::string::npos) backend = &b;
  ASSERT_NE(backend, nullptr);
  const nlohmann::json j = to_json(r.ledger);
  if (!kp.ok) {
    EXPECT_FALSE(backend->active);
    EXPECT_EQ(backend->detail, "kprobe backend: unavailable (" + kp.evidence + ")");
    for (std::string_view id : {ledger_id::kKpCopy1, ledger_id::kKpCopy4, ledger_id::kKpXskTxCopy,
                                ledger_id::kKpXskRxCopy}) {
      const LedgerLine* l = r.ledger.line(id);
      ASSERT_NE(l, nullptr) << id;
      EXPECT_FALSE(l->available()) << id;
      EXPECT_EQ(l->unavailable, "kprobe backend: unavailable (" + kp.evidence + ")");
    }
    for (const auto& x : j["lines"])
      if (x["id"].get<std::string>().rfind("kprobe_", 0) == 0) {
        EXPECT_TRUE(x["count"].is_null()) << x.dump();
      }
    EXPECT_NE(format_cross_check(r).find("kprobe backend: unavailable ("), std::string::npos);
    // The tracepoint ledger still ran.
    EXPECT_EQ(r.ledger.count(ledger_id::kCopy1), run.sent);
    return;
  }
  EXPECT_TRUE(backend->active) << backend->detail;
  ASSERT_TRUE(r.ledger.available(ledger_id::kKpCopy1)) << format_ledger(r.ledger);
  EXPECT_EQ(r.ledger.count(ledger_id::kKpCopy1), run.sent) << format_ledger(r.ledger);
  EXPECT_EQ(r.ledger.line(ledger_id::kKpCopy1)->calls_of_len(64), run.sent);
  EXPECT_EQ(r.ledger.count(ledger_id::kKpCopy4), run.received) << format_ledger(r.ledger);
  EXPECT_EQ(r.ledger.count(ledger_id::kKpXskTxCopy), 0U);
}

}  // namespace

// The survey reads what the kernel says of devices this test made: namespace B holds one veth end
// (and loopback, which the survey leaves out); veth has native XDP and no AF_XDP zero-copy.
TEST(NicSurvey, ReadsTheKernelsXdpFeaturesOfTheTestsVeth) {
  Topology topo = Topology::create_unique("nics");
  const TopologyConfig& t = topo.config();
  NicSurvey s;
  unsigned index = 0;
  {
    NetnsScope in(t.ns_b);
    s = survey_nics();
    index = if_nametoindex(t.dev_b.c_str());
  }
  if (!s.unavailable.empty()) GTEST_SKIP() << s.unavailable;
  ASSERT_EQ(s.nics.size(), 1U) << format_nic_survey(s);
  const NicXdpFeatures& n = s.nics[0];
  EXPECT_EQ(n.name, t.dev_b);
  EXPECT_EQ(n.ifindex, static_cast<int>(index));
  EXPECT_EQ(n.driver, "veth");
  EXPECT_TRUE(n.native_xdp()) << format_nic_survey(s);
  EXPECT_TRUE((n.xdp_features & kXdpActRedirect) != 0) << format_nic_survey(s);
  EXPECT_FALSE(n.zero_copy()) << format_nic_survey(s);
}

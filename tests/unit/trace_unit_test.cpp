// trace/: symbolizer, hist printer, copy-site attribution, capability JSON shape. Inputs are
// either read from this machine (/proc/kallsyms, the probes) or constructed in the test.
#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "evidence/capabilities.hpp"
#include "evidence/copy_ledger.hpp"
#include "evidence/copy_sites.hpp"
#include "evidence/cross_check.hpp"
#include "evidence/hist_format.hpp"
#include "evidence/kallsyms.hpp"
#include "evidence/kernel_text.hpp"
#include "evidence/kprobe_backend.hpp"
#include "evidence/nic_features.hpp"
#include "evidence/verdict.hpp"

using namespace copylab::trace;

namespace {

// The first two text symbols of /proc/kallsyms with distinct addresses, read independently of
// KernelSymbols.
struct Pair {
  std::uint64_t addr = 0, next = 0;
  std::string name;
};

Pair find_symbol_pair(const std::string& wanted) {
  std::ifstream in("/proc/kallsyms");
  std::string line;
  Pair p;
  std::vector<std::pair<std::uint64_t, std::string>> text;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string a, t, n;
    if (!(ls >> a >> t >> n) || (t != "t" && t != "T")) continue;
    text.emplace_back(std::stoull(a, nullptr, 16), n);
  }
  std::sort(text.begin(), text.end());
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i].second != wanted) continue;
    p.addr = text[i].first;
    p.name = wanted;
    for (std::size_t j = i + 1; j < text.size(); ++j) {
      if (text[j].first != p.addr) {
        p.next = text[j].first;
        break;
      }
    }
    break;
  }
  return p;
}

TEST(KernelSymbols, ResolvesAKnownAddressFromKallsyms) {
  if (::geteuid() != 0) GTEST_SKIP() << "kallsyms addresses need root";
  const KernelSymbols syms = KernelSymbols::load();
  const Pair p = find_symbol_pair("udp_sendmsg");
  ASSERT_NE(p.addr, 0U) << "udp_sendmsg not in /proc/kallsyms";
  ASSERT_GT(p.next, p.addr + 0x10);
  const auto r = syms.resolve(p.addr + 0x10);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "udp_sendmsg");
  EXPECT_EQ(r->offset, 0x10U);
  EXPECT_EQ(r->size, p.next - p.addr);
  std::ostringstream want;
  want << "udp_sendmsg+0x10/0x" << std::hex << (p.next - p.addr);
  EXPECT_EQ(syms.format(p.addr + 0x10), want.str());
  EXPECT_EQ(syms.address_of("udp_sendmsg"), p.addr);
  EXPECT_EQ(syms.format(1), "0x1");  // below every symbol: left as a number
}

StackHistogram sample_hist() {
  StackHistogram h;
  h.event = "net:netif_receive_skb";
  h.source = "test";
  h.scope = "constructed";
  h.entries.push_back({{"__netif_receive_skb_one_core+0x3c/0xa0", "process_backlog+0x85/0x120",
                        "__dev_queue_xmit+0x28b/0xd90", "ip_finish_output2+0x2a1/0x570",
                        "udp_sendmsg+0xb7e/0xf20"},
                       48, 10784});
  h.entries.push_back({{"__netif_receive_skb_one_core+0x3c/0xa0", "__dev_direct_xmit+0x152/0x210",
                        "__xsk_generic_xmit+0x3e4/0x710", "xsk_sendmsg+0x12f/0x1f0"},
                       40, 3160});
  h.sort();
  return h;
}

TEST(HistFormat, PrintsFtraceHistLayout) {
  const std::string text = format_hist(sample_hist());
  const std::string expected_body =
      "{ common_stacktrace:\n"
      "         __netif_receive_skb_one_core+0x3c/0xa0\n"
      "         __dev_direct_xmit+0x152/0x210\n"
      "         __xsk_generic_xmit+0x3e4/0x710\n"
      "         xsk_sendmsg+0x12f/0x1f0\n"
      "} hitcount:         40  len:       3160\n"
      "{ common_stacktrace:\n"
      "         __netif_receive_skb_one_core+0x3c/0xa0\n"
      "         process_backlog+0x85/0x120\n"
      "         __dev_queue_xmit+0x28b/0xd90\n"
      "         ip_finish_output2+0x2a1/0x570\n"
      "         udp_sendmsg+0xb7e/0xf20\n"
      "} hitcount:         48  len:      10784\n"
      "\n"
      "Totals:\n"
      "    Hits: 88\n"
      "    Entries: 2\n"
      "    Dropped: 0\n";
  ASSERT_NE(text.find(expected_body), std::string::npos) << text;
  EXPECT_EQ(text.rfind("# event histogram", 0), 0U);
  EXPECT_NE(text.find("hist:keys=common_stacktrace:vals=hitcount,len"), std::string::npos);
}

TEST(HistFormat, NoLenColumnWhenTheEventHasNone) {
  StackHistogram h = sample_hist();
  h.has_len = false;
  const std::string text = format_hist(h);
  EXPECT_EQ(text.find("len:"), std::string::npos);
  EXPECT_NE(text.find("} hitcount:         40\n"), std::string::npos);
}

TEST(HistFormat, ChainMatchesFunctionsInOrder) {
  const StackHistogram h = sample_hist();
  EXPECT_TRUE(hist_has_chain(h, {"__dev_queue_xmit", "udp_sendmsg"}));
  EXPECT_TRUE(hist_has_chain(h, {"xsk_sendmsg"}));
  EXPECT_FALSE(hist_has_chain(h, {"udp_sendmsg", "__dev_queue_xmit"}));  // wrong order
  EXPECT_FALSE(hist_has_chain(h, {"__dev_direct_xmit", "udp_sendmsg"}));  // different stacks
  EXPECT_EQ(frame_function("udp_sendmsg+0xb7e/0xf20"), "udp_sendmsg");
}

TEST(CopySites, AttributesStacksToCopyRoutinesAndCallers) {
  const std::vector<SampledStack> stacks = {
      {{"_copy_from_iter", "ip_generic_getfrag", "__ip_append_data", "udp_sendmsg"}, 30},
      {{"__pi_memcpy", "skb_store_bits", "__xsk_generic_xmit", "xsk_sendmsg"}, 20},
      {{"__pi_memcpy", "__xsk_rcv", "__xsk_map_redirect", "xdp_do_redirect"}, 10},
      {{"pvm_irq_enable", "do_syscall_64"}, 40},
  };
  const auto sites = attribute_copy_sites(stacks, 100);
  auto find = [&](const std::string& id) {
    for (const CopySite& s : sites)
      if (s.def.id == id) return s;
    ADD_FAILURE() << "no site " << id;
    return CopySite{};
  };
  EXPECT_EQ(find("copy_from_iter").samples, 30U);
  EXPECT_DOUBLE_EQ(find("copy_from_iter").share, 0.30);
  ASSERT_FALSE(find("copy_from_iter").callers.empty());
  EXPECT_EQ(find("copy_from_iter").callers[0].first, "ip_generic_getfrag");
  EXPECT_EQ(find("copy_to_iter").samples, 0U);
  EXPECT_EQ(find("skb_store_bits").samples, 20U);
  EXPECT_EQ(find("xsk_rcv").samples, 10U);
  const CopySite memcpy_site = find("memcpy");
  EXPECT_EQ(memcpy_site.samples, 30U);
  ASSERT_EQ(memcpy_site.callers.size(), 2U);
  EXPECT_EQ(memcpy_site.callers[0].first, "skb_store_bits");
  EXPECT_EQ(memcpy_site.callers[1].first, "__xsk_rcv");
}

TEST(Capabilities, JsonShape) {
  if (::geteuid() != 0) GTEST_SKIP() << "the probes load BPF programs: root only";
  ProbeOptions opts;
  opts.devices = false;  // no namespaces in a unit test
  const Capabilities caps = probe_capabilities(opts);
  const nlohmann::json j = to_json(caps);
  ASSERT_TRUE(j.contains("capabilities"));
  for (const char* id : {"bpf", "jit", "btf", "tp_btf", "raw_tp", "fentry", "kprobes", "modules",
                         "tracefs", "hist_triggers", "bpffs", "lockdown", "perf_cpu_clock",
                         "af_xdp", "busy_poll"}) {
    ASSERT_TRUE(j["capabilities"].contains(id)) << id;
    EXPECT_TRUE(j["capabilities"][id]["ok"].is_boolean()) << id;
    EXPECT_TRUE(j["capabilities"][id]["evidence"].is_string()) << id;
    EXPECT_FALSE(j["capabilities"][id]["evidence"].get<std::string>().empty()) << id;
  }
  ASSERT_TRUE(j["backends"].is_array());
  ASSERT_GE(j["backends"].size(), 5U);
  for (const auto& b : j["backends"]) {
    EXPECT_TRUE(b["name"].is_string());
    EXPECT_TRUE(b["available"].is_boolean());
    EXPECT_TRUE(b["why"].is_string());
  }
  EXPECT_TRUE(j["devices"].is_array());
  EXPECT_TRUE(j["zero_copy"].is_string());
  // The evidence is the kernel's answer, not a guess: a refused fentry names its errno.
  if (!caps.has("fentry")) {
    EXPECT_NE(caps.find("fentry")->evidence.find("("), std::string::npos);
  }
}

// A kernel without the marker (6.1 has no sock:sock_send_length) must show "not measurable", never
// a zero that reads as "no copy": in the table and in JSON (null).
TEST(CopyLedger, UnavailableLineIsNotAZero) {
  CopyLedger l;
  l.lines.push_back({"copy1_user_to_kernel", "COPY #1", "sock:sock_send_length family=AF_INET ret>0",
                     0, 0, Measured::kUnavailable,
                     "tracepoint sock:sock_send_length missing (added in 6.3)", "", {}});
  l.lines.push_back({"net_dev_queue", "queued", "net:net_dev_queue", 7, 700,
                     Measured::kExactTracepoint, "", "", {}});
  EXPECT_FALSE(l.available("copy1_user_to_kernel"));
  EXPECT_TRUE(l.available("net_dev_queue"));
  const std::string text = format_ledger(l);
  EXPECT_NE(text.find("not measurable on this kernel: tracepoint sock:sock_send_length missing"),
            std::string::npos)
      << text;
  const nlohmann::json j = to_json(l);
  EXPECT_TRUE(j["lines"][0]["count"].is_null());
  EXPECT_EQ(j["lines"][1]["count"], 7);

}

// The whole native table, not a hand-picked list: numbers the old list lacked (openat, the
// io_uring calls) have their names, and a number no kernel has stays a number.
TEST(CopyLedger, SyscallNamesComeFromTheWholeTable) {
  EXPECT_EQ(syscall_name(SYS_openat), "openat");
  EXPECT_EQ(syscall_name(SYS_io_uring_enter), "io_uring_enter");
  EXPECT_EQ(syscall_name(SYS_getrandom), "getrandom");
  EXPECT_EQ(syscall_name(SYS_sendto), "sendto");
  EXPECT_EQ(syscall_name(SYS_read), "read");
  EXPECT_EQ(syscall_name(100000), "syscall_100000");
}

TEST(HistFormat, StackKeyNameFollowsTheKernel) {
  const std::string key = hist_stack_key_for_kernel();
  EXPECT_TRUE(key == "common_stacktrace" || key == "stacktrace") << key;
}

// The call-site finder behind the kprobe backend's fallback for notrace copy functions: direct
// `call rel32` and tail-call `jmp rel32` to the target, forwards and backwards, nothing else.
TEST(KernelText, FindsDirectCallsAndTailCallsToTheTarget) {
  const std::uint64_t base = 0xffffffff81000000ULL;
  const std::uint64_t target = 0xffffffff81002000ULL;
  std::vector<std::uint8_t> code(64, 0x90);  // nops
  auto put = [&](std::size_t at, std::uint8_t op, std::uint64_t to) {
    code[at] = op;
    const auto rel = static_cast<std::int32_t>(static_cast<std::int64_t>(to) -
                                               static_cast<std::int64_t>(base + at + 5));
    std::memcpy(&code[at + 1], &rel, 4);
  };
  put(3, 0xe8, target);          // call target
  put(20, 0xe8, target + 0x10);  // call elsewhere
  put(40, 0xe9, target);         // jmp target (tail call)
  EXPECT_EQ(find_call_sites(code, base, target), (std::vector<std::uint32_t>{3, 40}));
  EXPECT_EQ(find_call_sites(code, base, base + 3 + 5 - 0x100),  // a backwards target, no match
            std::vector<std::uint32_t>{});
  put(50, 0xe8, base);  // a backwards call
  EXPECT_EQ(find_call_sites(code, base, base), (std::vector<std::uint32_t>{50}));
  // A call whose rel32 runs past the end of the function is not read.
  EXPECT_TRUE(find_call_sites(std::span(code).first(42), base, target).size() == 1U);
}

// Without kprobes (this host) every kprobe ledger line is unavailable with the doctor's reason:
// null in JSON, "kprobe backend: unavailable (...)" in the table, never a zero.
TEST(KprobeLedger, UnavailableLinesSayWhyAndAreNotZeros) {
  const std::string why = "no kprobe PMU (/sys/bus/event_source/devices/kprobe)";
  CopyLedger l;
  l.lines = kprobe_lines_unavailable(why);
  ASSERT_EQ(l.lines.size(), 6U);
  for (const LedgerLine& x : l.lines) {
    EXPECT_FALSE(x.available()) << x.id;
    EXPECT_EQ(x.unavailable, "kprobe backend: unavailable (" + why + ")") << x.id;
  }
  EXPECT_FALSE(l.available(ledger_id::kKpCopy1));
  EXPECT_FALSE(l.available(ledger_id::kKpXskRxCopy));
  const nlohmann::json j = to_json(l);
  for (const auto& x : j["lines"]) {
    EXPECT_TRUE(x["count"].is_null()) << x.dump();
    EXPECT_EQ(x["measured"], "not measurable on this kernel") << x.dump();
  }
  const std::string text = format_ledger(l);
  EXPECT_NE(text.find("kprobe_copy1"), std::string::npos) << text;
  EXPECT_NE(text.find("kprobe backend: unavailable (" + why + ")"), std::string::npos) << text;
}

// A line counted at the copy function says so in full and carries its length table, in the
// table and in JSON.
TEST(KprobeLedger, CopyFunctionLineKeepsHowAndLengths) {
  LedgerLine x;
  x.id = std::string(ledger_id::kKpCopy1);
  x.what = "COPY #1";
  x.tracepoint = "kprobe _copy_from_iter";
  x.count = 1003;
  x.bytes = 1000 * 200 + 3 * 19;
  x.measured = Measured::kExactCopyFunction;
  x.how = "exact at the copy function (kprobe _copy_from_iter)";
  x.lens = {{200, 1000}, {19, 3}};
  CopyLedger l;
  l.lines.push_back(x);
  const nlohmann::json j = to_json(l);
  EXPECT_EQ(j["lines"][0]["measured"], x.how);
  EXPECT_EQ(j["lines"][0]["lens"]["200"], 1000);
  EXPECT_NE(format_ledger(l).find("200B x1000"), std::string::npos) << format_ledger(l);
  const LedgerLine* b = l.line(ledger_id::kKpCopy1);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->measured_text(), x.how);
  EXPECT_EQ(b->calls_of_len(200), 1000U);
  EXPECT_EQ(b->calls_of_len(19), 3U);
  EXPECT_EQ(b->calls_of_len(64), 0U);
}

// The doctor names the kprobe backend and, where kprobes are missing, the kernel's reason.
TEST(Capabilities, KprobeBackendPlanNamesTheReason) {
  if (::geteuid() != 0) GTEST_SKIP() << "the probes load BPF programs: root only";
  ProbeOptions opts;
  opts.devices = false;
  const Capabilities caps = probe_capabilities(opts);
  const Capability* kp = caps.find("kprobes");
  ASSERT_NE(kp, nullptr);
  bool found = false;
  for (const BackendPlan& b : plan_backends(caps)) {
    if (b.name.find("kprobe BPF") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(b.available, kp->ok);
    const std::string expect = kp->ok ? "kprobe backend: available" : "kprobe backend: unavailable (";
    EXPECT_NE(b.why.find(expect), std::string::npos) << b.why;
    EXPECT_NE(b.why.find(kp->evidence), std::string::npos) << b.why;
  }
  EXPECT_TRUE(found);
}

// Verdicts prefer the kprobe evidence when a run has it: the cell says "exact at the copy
// function (...)" and its per-packet number comes from the kprobe line, not the tracepoint.
TEST(Verdicts, PreferKprobeLinesWhenPresent) {
  auto kp = [](std::string_view id, std::uint64_t n, std::uint64_t len) {
    LedgerLine l;
    l.id = std::string(id);
    l.tracepoint = "kprobe f";
    l.count = n;
    l.bytes = n * len;
    l.measured = Measured::kExactCopyFunction;
    l.how = "exact at the copy function (kprobe f)";
    return l;
  };
  CrossCheckResult sock, xsk;
  sock.ledger.lines = {kp(ledger_id::kKpCopy1, 100, 64), kp(ledger_id::kKpCopy4, 100, 64),
                       kp(ledger_id::kKpXskTxCopy, 0, 0), kp(ledger_id::kKpXskRxCopy, 0, 0)};
  xsk.ledger.lines = {kp(ledger_id::kKpCopy1, 0, 0), kp(ledger_id::kKpCopy4, 0, 0),
                      kp(ledger_id::kKpXskTxCopy, 100, 106), kp(ledger_id::kKpXskRxCopy, 100, 106)};
  const VerdictTable v = make_verdicts({"socket", 100, 100, &sock, std::nullopt, false},
                                       {"af_xdp", 100, 100, &xsk, copylab::XdpMode::kNative, false}, "veth: no ZC");
  auto row = [&](const std::string& id) {
    for (const VerdictRow& r : v.rows)
      if (r.id == id) return r;
    ADD_FAILURE() << "no row " << id;
    return VerdictRow{};
  };
  const VerdictRow c1 = row("copy1");
  EXPECT_EQ(c1.socket.measured, "exact at the copy function (kprobe f)");
  EXPECT_EQ(c1.socket.per_packet, 1.0);
  EXPECT_EQ(c1.af_xdp.per_packet, 0.0);
  EXPECT_NE(c1.verdict.find("moved to"), std::string::npos) << c1.verdict;
  const VerdictRow tx = row("xsk_tx_copy");
  EXPECT_EQ(tx.af_xdp.per_packet, 1.0);
  EXPECT_EQ(tx.af_xdp.measured, "exact at the copy function (kprobe f)");
  EXPECT_EQ(tx.verdict, "added (copy mode; counted at the copy)");
  const VerdictRow rx = row("xsk_rx_copy");
  EXPECT_EQ(rx.af_xdp.per_packet, 1.0);
  EXPECT_EQ(rx.socket.per_packet, 0.0);

  // A copy-mode run whose kprobe counted 0 at skb_store_bits (a driver with
  // IFF_TX_SKB_NO_LINEAR: the skb points at the UMEM page) says so, not "no sample caught it".
  CrossCheckResult no_linear = xsk;
  no_linear.ledger.lines[2] = kp(ledger_id::kKpXskTxCopy, 0, 0);
  const VerdictTable nl = make_verdicts({"socket", 100, 100, &sock, std::nullopt, false},
                                        {"af_xdp", 100, 100, &no_linear, copylab::XdpMode::kNative, false}, "");
  bool seen = false;
  for (const VerdictRow& r : nl.rows) {
    if (r.id != "xsk_tx_copy") continue;
    seen = true;
    EXPECT_EQ(r.verdict, "none on this run (0 at the copy)");
  }
  EXPECT_TRUE(seen);
}

}  // namespace

namespace {
// A NETDEV_CMD_DEV_GET reply as the kernel lays it out (nlmsghdr, genlmsghdr, then 4-byte
// aligned attributes), built by hand so the decoder is checked against the wire format itself.
struct NetlinkBuilder {
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(16 + 4, 0);
  template <typename T>
  void attr(std::uint16_t type, T value, std::uint16_t len = sizeof(T)) {
    const std::size_t at = bytes.size();
    const auto attr_len = static_cast<std::uint16_t>(4 + len);
    bytes.resize(at + ((attr_len + 3U) & ~3U), 0);
    std::memcpy(&bytes[at], &attr_len, 2);
    std::memcpy(&bytes[at + 2], &type, 2);
    std::memcpy(&bytes[at + 4], &value, std::min<std::size_t>(sizeof(T), len));
  }
  const std::vector<std::uint8_t>& done() {
    const auto total = static_cast<std::uint32_t>(bytes.size());
    std::memcpy(bytes.data(), &total, 4);
    return bytes;
  }
};
}  // namespace

// The attributes by number (include/uapi/linux/netdev.h: 1 ifindex, 3 xdp-features u64,
// 4 xdp-zc-max-segs u32): a device that advertises zero-copy reads as such, one without the
// ifindex or with a short feature attribute is refused rather than read as "no features".
TEST(NicFeatures, DecodesTheNetdevReply) {
  NetlinkBuilder ok;
  ok.attr<std::uint32_t>(1, 7);
  ok.attr<std::uint64_t>(3, kXdpActBasic | kXdpActRedirect | kXdpActXskZeroCopy | kXdpActRxSg);
  ok.attr<std::uint32_t>(4, 1);
  const auto& b = ok.done();
  NicXdpFeatures n;
  ASSERT_TRUE(parse_netdev_dev(b.data(), b.size(), n));
  EXPECT_EQ(n.ifindex, 7);
  EXPECT_TRUE(n.native_xdp());
  EXPECT_TRUE(n.zero_copy());
  EXPECT_EQ(n.zc_max_segs, 1U);
  EXPECT_EQ(n.feature_names(),
            (std::vector<std::string>{"basic", "redirect", "xsk-zerocopy", "rx-sg"}));

  NetlinkBuilder veth;  // veth: XDP but no zero-copy, no zc-max-segs attribute (before 6.6)
  veth.attr<std::uint32_t>(1, 3);
  veth.attr<std::uint64_t>(3, kXdpActBasic | kXdpActRedirect | kXdpActRxSg);
  const auto& v = veth.done();
  NicXdpFeatures nv;
  ASSERT_TRUE(parse_netdev_dev(v.data(), v.size(), nv));
  EXPECT_FALSE(nv.zero_copy());
  EXPECT_FALSE(nv.zc_max_segs.has_value());

  NetlinkBuilder no_index;
  no_index.attr<std::uint64_t>(3, kXdpActBasic);
  const auto& ni = no_index.done();
  NicXdpFeatures x;
  EXPECT_FALSE(parse_netdev_dev(ni.data(), ni.size(), x));

  NetlinkBuilder short_features;  // a 4-byte xdp-features: not the kernel's u64
  short_features.attr<std::uint32_t>(1, 2);
  short_features.attr<std::uint32_t>(3, 1);
  const auto& sf = short_features.done();
  EXPECT_FALSE(parse_netdev_dev(sf.data(), sf.size(), x));
  EXPECT_FALSE(parse_netdev_dev(sf.data(), 10, x)) << "shorter than the headers";
}

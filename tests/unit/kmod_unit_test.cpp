// Unit tests of kmod/: parsing copyprobe's /proc/copyprobe text (copied verbatim from a kernel lab
// run: Debian 6.1 guest, 1000 datagrams of 200 B each way), the per-site lines and verdict rows
// built from it, the module parameters, and the availability decision on given capabilities.
// Parsing and formatting only: the counts themselves are measured in the lab (60_compare_kmod).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/error.hpp"
#include "kmod/backend/copyprobe_counters.hpp"
#include "kmod/backend/copyprobe_session.hpp"
#include "kmod/backend/kmod_availability.hpp"
#include "kmod/backend/kmod_verdicts.hpp"
#include "kmod/backend/module_file.hpp"
#include "kmod/backend/probe_sites.hpp"

using namespace copylab;
using namespace copylab::kmod;

namespace {

// kmod/lab report, section socket-counters (sock_sender -> sock_receiver, 1000 x 200 B).
constexpr const char* kSocketRun = R"(# copyprobe comm=sock_sender,sock_receiver pid=0 burst=20
site=COPY1 symbol=_copy_from_iter scope=task state=attached calls=1013 hits=1001 bytes=200036 printed=20 suppressed=981 nmissed=0 lens=200:1000,242:0,228:0,36:1 lens_other=0
site=COPY2 symbol=__dev_queue_xmit scope=task state=attached calls=1000 hits=1000 bytes=242000 printed=20 suppressed=980 nmissed=0 lens=200:0,242:1000,228:0 lens_other=0
site=COPY4 symbol=_copy_to_iter scope=task state=attached calls=1180 hits=1051 bytes=376488 printed=20 suppressed=1031 nmissed=0 lens=200:1000,242:0,228:0,4096:20,3264:20,4032:4,3248:4,32:2,104:1 lens_other=0
site=XSK_TX symbol=skb_store_bits scope=task state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XSK_XMIT symbol=__dev_direct_xmit scope=task state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XSK_RX symbol=__xsk_rcv scope=all state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XDP_COW symbol=skb_copy_bits scope=all state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XDP_EXPAND symbol=pskb_expand_head scope=all state=attached calls=1 hits=1 bytes=104 printed=0 suppressed=1 nmissed=0 lens=200:0,242:0,228:0,104:1 lens_other=0
)";

// kmod/lab report, section xdp-counters-native (xdp_sender -> xdp_receiver, native XDP, 1000 x 200
// B).
constexpr const char* kXdpNativeRun = R"(# copyprobe comm=xdp_sender,xdp_receiver pid=0 burst=20
site=COPY1 symbol=_copy_from_iter scope=task state=attached calls=13 hits=8 bytes=304 printed=0 suppressed=8 nmissed=0 lens=200:0,242:0,228:0,32:6,52:1,60:1 lens_other=0
site=COPY2 symbol=__dev_queue_xmit scope=task state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=COPY4 symbol=_copy_to_iter scope=task state=attached calls=1390 hits=1242 bytes=4816872 printed=0 suppressed=1242 nmissed=0 lens=200:0,242:0,228:0,4096:1089,3264:20,4032:12,3248:4,32:2,2836:8,20:12,1640:4,152:4,2112:4,1644:4,3440:4,2432:8 lens_other=67
site=XSK_TX symbol=skb_store_bits scope=task state=attached calls=1000 hits=1000 bytes=242000 printed=20 suppressed=980 nmissed=0 lens=200:0,242:1000,228:0 lens_other=0
site=XSK_XMIT symbol=__dev_direct_xmit scope=task state=attached calls=1000 hits=1000 bytes=242000 printed=20 suppressed=980 nmissed=0 lens=200:0,242:1000,228:0 lens_other=0
site=XSK_RX symbol=__xsk_rcv scope=all state=attached calls=1000 hits=1000 bytes=242000 printed=20 suppressed=980 nmissed=0 lens=200:0,242:1000,228:0 lens_other=0
site=XDP_COW symbol=skb_copy_bits scope=all state=attached calls=1000 hits=1000 bytes=242000 printed=20 suppressed=980 nmissed=0 lens=200:0,242:1000,228:0 lens_other=0
site=XDP_EXPAND symbol=pskb_expand_head scope=all state=attached calls=4 hits=4 bytes=5776 printed=0 suppressed=4 nmissed=0 lens=200:0,242:0,228:0,1444:2,1452:1,1436:1 lens_other=0
)";

// kmod/lab report (Debian 7.3 guest, virtio_net behind a qemu hub: no checksum offload), section
// zc-counters-socket: COPY #1 made by the checksumming copy, COPY #4 by the plain one.
constexpr const char* kVirtioSocketRun = R"(# copyprobe comm=sock_sender,sock_receiver pid=0 burst=0
site=COPY1 symbol=_copy_from_iter scope=task state=attached calls=6 hits=1 bytes=36 printed=0 suppressed=1 nmissed=0 lens=200:0,242:0,228:0,36:1 lens_other=0
site=COPY1_CSUM symbol=csum_and_copy_from_iter_full scope=task state=attached calls=1000 hits=1000 bytes=200000 printed=0 suppressed=1000 nmissed=0 lens=200:1000,242:0,228:0 lens_other=0
site=COPY2 symbol=__dev_queue_xmit scope=task state=attached calls=1000 hits=1000 bytes=242000 printed=0 suppressed=1000 nmissed=0 lens=200:0,242:1000,228:0 lens_other=0
site=COPY4 symbol=_copy_to_iter scope=task state=attached calls=1095 hits=1027 bytes=219944 printed=0 suppressed=1027 nmissed=0 lens=200:1000,242:0,228:0,832:20,784:4,32:2,104:1 lens_other=0
site=COPY4_CSUM symbol=csum_and_copy_to_iter scope=task state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XSK_TX symbol=skb_store_bits scope=task state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XSK_XMIT symbol=__dev_direct_xmit scope=task state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XSK_RX symbol=__xsk_rcv scope=all state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XDP_COW symbol=skb_copy_bits scope=all state=attached calls=0 hits=0 bytes=0 printed=0 suppressed=0 nmissed=0 lens=200:0,242:0,228:0 lens_other=0
site=XDP_EXPAND symbol=pskb_expand_head scope=all state=attached calls=1 hits=1 bytes=104 printed=0 suppressed=1 nmissed=0 lens=200:0,242:0,228:0,104:1 lens_other=0
)";

const trace::VerdictRow& row(const trace::VerdictTable& t, const std::string& id) {
  for (const auto& r : t.rows)
    if (r.id == id) return r;
  throw std::runtime_error("no row " + id);
}

}  // namespace

TEST(CopyprobeCounters, ParsesTheLabSocketRun) {
  const CopyprobeCounters c = parse_copyprobe_counters(kSocketRun);
  EXPECT_EQ(c.filter, "comm=sock_sender,sock_receiver pid=0 burst=20");
  ASSERT_EQ(c.sites.size(), 8U);
  const SiteCounters* c1 = c.site("COPY1");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->symbol, "_copy_from_iter");
  EXPECT_EQ(c1->scope, "task");
  EXPECT_TRUE(c1->attached());
  EXPECT_EQ(c1->calls, 1013U);
  EXPECT_EQ(c1->hits, 1001U);
  EXPECT_EQ(c1->bytes, 200036U);
  EXPECT_EQ(c1->printed, 20U);
  EXPECT_EQ(c1->suppressed, 981U);
  EXPECT_EQ(c1->hits_of_len(200), 1000U);
  EXPECT_EQ(c1->hits_of_len(36), 1U);
  EXPECT_EQ(c1->hits_of_len(999), 0U);  // not in the table, nothing overflowed: provably zero
  EXPECT_EQ(c.site("COPY2")->hits_of_len(242), 1000U);
  EXPECT_EQ(c.site("XSK_RX")->scope, "all");
  EXPECT_EQ(c.site("NOSUCH"), nullptr);
}

TEST(CopyprobeCounters, OverflowedLengthTableIsNotZero) {
  const CopyprobeCounters c = parse_copyprobe_counters(kXdpNativeRun);
  const SiteCounters* c4 = c.site("COPY4");
  ASSERT_NE(c4, nullptr);
  EXPECT_EQ(c4->lens_other, 67U);
  EXPECT_EQ(c4->hits_of_len(200), 0U);  // watched: in the table, counted exactly
  EXPECT_EQ(c4->hits_of_len(4096), 1089U);
  EXPECT_FALSE(c4->hits_of_len(999).has_value());  // could hide in lens_other
}

TEST(CopyprobeCounters, EmptyTableAndUnavailableSite) {
  const CopyprobeCounters c = parse_copyprobe_counters(
      "# copyprobe comm=(any) pid=0 burst=0\n"
      "site=XSK_RX symbol=__xsk_rcv scope=all state=unavailable(err=-2) calls=0 hits=0 bytes=0 "
      "printed=0 suppressed=0 nmissed=0 lens=- lens_other=0\n");
  ASSERT_EQ(c.sites.size(), 1U);
  EXPECT_FALSE(c.sites[0].attached());
  EXPECT_TRUE(c.sites[0].lens.empty());
  EXPECT_FALSE(payload_hits(c, *find_probe_site("XSK_RX"), 200).has_value());
}

TEST(CopyprobeCounters, MalformedTextIsAnError) {
  EXPECT_THROW(parse_copyprobe_counters(""), Error);
  EXPECT_THROW(parse_copyprobe_counters("site=COPY1 symbol=x\n"), Error);  // no header
  EXPECT_THROW(parse_copyprobe_counters("# copyprobe x\nsite=COPY1 symbol=_copy_from_iter "
                                        "scope=task state=attached calls=x hits=0 bytes=0 "
                                        "printed=0 suppressed=0 nmissed=0 lens=- lens_other=0\n"),
               Error);
  EXPECT_THROW(parse_copyprobe_counters("# copyprobe x\nsomething else\n"), Error);
}


TEST(ProbeSites, EvidenceLinesNameTheCopyFunctionAndPerPacketCounts) {
  const CopyprobeCounters c = parse_copyprobe_counters(kSocketRun);
  const auto lines = evidence_lines(c, 200, 1000, 1000);
  ASSERT_EQ(lines.size(), 8U);
  EXPECT_NE(lines[0].find("COPY1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("1000 calls of 200 B = 1.00 per packet sent"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("exact at the copy function (kprobe module copyprobe: _copy_from_iter)"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("1000 calls of 242 B"), std::string::npos) << lines[1];  // COPY2: +42
  EXPECT_EQ(payload_hits(c, *find_probe_site("XSK_TX"), 200), 0U);
}

TEST(KmodVerdicts, LabRunsGiveMovedNotGone) {
  const CopyprobeCounters s = parse_copyprobe_counters(kSocketRun);
  const CopyprobeCounters x = parse_copyprobe_counters(kXdpNativeRun);
  const trace::VerdictTable t = make_kmod_verdicts({1000, 1000, &s, std::nullopt, false},
                                                   {1000, 1000, &x, XdpMode::kNative, false}, 200, "note");
  ASSERT_EQ(t.rows.size(), 7U);
  EXPECT_DOUBLE_EQ(*row(t, "copy1").socket.per_packet, 1.0);
  EXPECT_DOUBLE_EQ(*row(t, "copy1").af_xdp.per_packet, 0.0);
  EXPECT_EQ(row(t, "copy1").verdict, "moved to skb_store_bits (kernel: UMEM -> skb)");
  EXPECT_EQ(row(t, "copy4").verdict, "moved to __xsk_rcv (kernel: xdp_buff -> UMEM)");
  EXPECT_DOUBLE_EQ(*row(t, "xsk_tx_copy").af_xdp.per_packet, 1.0);
  EXPECT_DOUBLE_EQ(*row(t, "xsk_tx_copy").socket.per_packet, 0.0);
  EXPECT_DOUBLE_EQ(*row(t, "xdp_headroom_copy").af_xdp.per_packet, 1.0);
  EXPECT_EQ(row(t, "xsk_rx_copy").verdict, "added (copy mode)");
  EXPECT_NE(row(t, "copy1").socket.measured.find("kprobe module copyprobe: _copy_from_iter"),
            std::string::npos);
  EXPECT_NE(t.summary.find("Copies moved, not gone"), std::string::npos) << t.summary;
  // The shared formatter prints it (no fork of trace's table).
  EXPECT_NE(trace::format_verdicts(t).find("COPY #1"), std::string::npos);
}

// COPY #1/#4 = the plain copy + the checksumming copy, when the module has the latter.
TEST(ProbeSites, UserCopyHitsAddTheChecksummingCopy) {
  std::string csum_overflow = kVirtioSocketRun;
  const std::string full = "lens=200:1000,242:0,228:0 lens_other=0";
  csum_overflow.replace(csum_overflow.find(full), full.size(), "lens=242:0,228:0 lens_other=1000");
  std::string plain_absent = kVirtioSocketRun;
  const std::string att = "symbol=_copy_from_iter scope=task state=attached";
  plain_absent.replace(plain_absent.find(att), att.size(), "symbol=_copy_from_iter scope=task state=err-22");
  struct Row {
    const char* name;
    std::string text;
    UserCopySites sites;
    std::optional<std::uint64_t> hits;
    bool csum_counted;
    const char* symbols;
  };
  const Row rows[] = {
      {"veth module without the csum sites: the plain copy alone", kSocketRun, kCopy1Sites, 1000,
       false, "_copy_from_iter"},
      {"virtio: COPY #1 in the checksumming copy", kVirtioSocketRun, kCopy1Sites, 1000, true,
       "_copy_from_iter + csum_and_copy_from_iter_full"},
      {"virtio: COPY #4 in the plain copy, csum site 0", kVirtioSocketRun, kCopy4Sites, 1000, true,
       "_copy_to_iter + csum_and_copy_to_iter"},
      {"csum length table overflowed: not countable", csum_overflow, kCopy1Sites, std::nullopt,
       true, "_copy_from_iter + csum_and_copy_from_iter_full"},
      {"plain site not attached: not countable", plain_absent, kCopy1Sites, std::nullopt, false, ""},
  };
  for (const Row& r : rows) {
    const CopyprobeCounters c = parse_copyprobe_counters(r.text);
    const UserCopyHits h = user_copy_hits(c, r.sites, 200);
    EXPECT_EQ(h.hits, r.hits) << r.name;
    EXPECT_EQ(h.csum_counted, r.csum_counted) << r.name;
    EXPECT_EQ(h.symbols, r.symbols) << r.name;
  }
}

TEST(KmodVerdicts, VirtioSocketRunCountsCopy1AtTheChecksummingCopy) {
  const CopyprobeCounters s = parse_copyprobe_counters(kVirtioSocketRun);
  const CopyprobeCounters x = parse_copyprobe_counters(kXdpNativeRun);
  const trace::VerdictTable t = make_kmod_verdicts({1000, 1000, &s, std::nullopt, false},
                                                   {1000, 1000, &x, XdpMode::kNative, false}, 200, "");
  const trace::VerdictRow& c1 = row(t, "copy1");
  ASSERT_TRUE(c1.socket.per_packet);
  EXPECT_DOUBLE_EQ(*c1.socket.per_packet, 1.0);  // 0 at _copy_from_iter alone
  EXPECT_NE(c1.socket.measured.find("_copy_from_iter + csum_and_copy_from_iter_full"), std::string::npos)
      << c1.socket.measured;
  EXPECT_NE(c1.socket.evidence.find("1000 calls of 200 B"), std::string::npos) << c1.socket.evidence;
  // The AF_XDP run's module had no checksumming site: its plain count stands alone.
  EXPECT_DOUBLE_EQ(*c1.af_xdp.per_packet, 0.0);
  EXPECT_DOUBLE_EQ(*row(t, "copy4").socket.per_packet, 1.0);
}

TEST(KmodVerdicts, NeedsBothRuns) {
  const CopyprobeCounters s = parse_copyprobe_counters(kSocketRun);
  EXPECT_THROW(make_kmod_verdicts({1, 1, &s, std::nullopt, false}, {1, 1, nullptr, std::nullopt, false}, 200, ""),
               Error);
}

TEST(ModuleParams, ListsFiltersAndWatchedLengths) {
  SessionOptions o;
  o.comms = {"sock_sender", "xdp_receiver"};
  o.watch = {64, 106};
  o.burst = 10;
  EXPECT_EQ(module_params(o),
            "burst=10 comm=sock_sender,xdp_receiver watch=64,106 print_watched=1");
  o.comms.assign(9, "x");
  EXPECT_THROW(module_params(o), Error);
  o.comms = {"a,b"};
  EXPECT_THROW(module_params(o), Error);
}

TEST(KmodAvailability, NoModulesNamesTheReasonAndTheFix) {
  trace::Capabilities caps;
  caps.items.push_back(
      {"modules", "loadable kernel modules", false, "no /proc/modules: CONFIG_MODULES not set"});
  caps.items.push_back({"kprobes", "kprobes", false, "no kprobe PMU"});
  const KmodAvailability a = kmod_availability(caps, "");
  EXPECT_FALSE(a.available);
  EXPECT_NE(a.reason.find("no loadable module support"), std::string::npos) << a.reason;
  EXPECT_NE(a.reason.find("CONFIG_MODULES"), std::string::npos) << a.reason;
  EXPECT_NE(a.fix.find("--backend bpf"), std::string::npos) << a.fix;
  EXPECT_NE(a.fix.find("copylab lab"), std::string::npos) << a.fix;
  EXPECT_EQ(format_kmod_availability(a).rfind("unavailable: ", 0), 0U);
}

TEST(KmodAvailability, NoKprobesIsTheNextReason) {
  trace::Capabilities caps;
  caps.items.push_back({"modules", "loadable kernel modules", true, "/proc/modules present"});
  caps.items.push_back({"kprobes", "kprobes", false, "no kprobe PMU: CONFIG_KPROBES not set"});
  const KmodAvailability a = kmod_availability(caps, "");
  EXPECT_FALSE(a.available);
  EXPECT_NE(a.reason.find("no usable kprobes"), std::string::npos) << a.reason;
}

TEST(ModuleFile, RejectsAFileThatIsNotAModule) {
  const std::string path = "/tmp/kmod_unit_" + std::to_string(::getpid()) + ".ko";
  std::ofstream(path) << "not a module";
  EXPECT_THROW(inspect_module_file(path), Error);
  ::unlink(path.c_str());
  EXPECT_THROW(inspect_module_file(path), Error);  // missing file
}

TEST(ModuleFile, ReadsNameVermagicAndSignature) {
  const std::string path = "/tmp/kmod_unit_mi_" + std::to_string(::getpid()) + ".ko";
  {
    std::ofstream f(path, std::ios::binary);
    const std::string modinfo(
        "\0description=x\0name=copyprobe\0vermagic=6.1.0-56-amd64 SMP "
        "preempt mod_unload modversions \0",
        90);
    f << "\x7f"
         "ELF"
      << modinfo << "~Module signature appended~\n";
  }
  const ModuleFileInfo info = inspect_module_file(path);
  ::unlink(path.c_str());
  EXPECT_EQ(info.name, "copyprobe");
  EXPECT_EQ(info.release(), "6.1.0-56-amd64");
  EXPECT_TRUE(info.is_signed);
}

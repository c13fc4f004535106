// What `copylab compare` concludes from its counters, on synthetic runs: the tools' JSON read into
// fields, the checks against the kernel's counters, where lost frames went (sent = received +
// each named drop counter + unexplained), the paced-rate warning, the "N checks failed" block
// under the table, and copy verdicts flagged when drawn from a bad run.
#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "evidence/compare_checks.hpp"
#include "evidence/kernel_counters.hpp"
#include "evidence/loss_accounting.hpp"
#include "evidence/tool_result.hpp"
#include "evidence/verdict.hpp"
#include "harness/compare_caveats.hpp"
#include "harness/compare_outcome.hpp"
#include "harness/compare_runner.hpp"
#include "harness/compare_spec.hpp"
#include "report/compare_report.hpp"
#include "report/report_text.hpp"

using namespace copylab;

namespace {

struct LossRow {
  const char* name;
  PathKind rx;
  long long sent, received;
  long long no_ports, in_errors, rcvbuf_errors;  // namespace B's UDP MIB
  long long a_tx_dropped, b_rx_dropped;          // ip -s link
  long long xsk_rx_dropped, xsk_ring_full;       // XDP_STATISTICS
  long long in_flight_at_end;                    // sender
  long long want_explained, want_unexplained;
  const char* want_text;                         // a part of the one-line accounting
};
void PrintTo(const LossRow& r, std::ostream* os) { *os << r.name; }

RunCounts synthetic_run(const LossRow& row) {
  RunCounts run;
  run.af_xdp_tx = false;
  run.af_xdp_rx = row.rx == PathKind::kAfXdp;
  run.asked = static_cast<std::uint64_t>(row.sent);
  run.sender.sent = row.sent;
  run.sender.in_flight_at_end = row.in_flight_at_end;
  run.receiver.received = row.received;
  run.receiver.stopped_by = "count";
  // Present for every receiver, so a socket receiver's rows prove they are not added.
  run.receiver.xdp_statistics = XskStatistics{};
  run.receiver.xdp_statistics->rx_dropped = row.xsk_rx_dropped;
  run.receiver.xdp_statistics->rx_ring_full = row.xsk_ring_full;
  run.kernel.a.link.tx_dropped = row.a_tx_dropped;
  run.kernel.b.udp.no_ports = row.no_ports;
  run.kernel.b.udp.in_errors = row.in_errors;
  run.kernel.b.udp.rcvbuf_errors = row.rcvbuf_errors;
  run.kernel.b.link.rx_dropped = row.b_rx_dropped;
  return run;
}

nlohmann::json loss_json(const RunCounts& run) {
  const auto acc = explain_loss(run);
  return acc ? to_json(*acc) : nlohmann::json(nullptr);
}

const LossRow kLossRows[] = {
    // The receiver's XDP program was gone while the sender still ran: the UDP stack had no socket.
    {"to Udp NoPorts", PathKind::kAfXdp, 20'000, 4'828, 15'172, 0, 0, 0, 0, 0, 0, 0, 15'172, 0,
     "received 4,828 + Udp NoPorts (namespace B) 15,172 + unexplained 0"},
    {"to the XSK's full RX ring", PathKind::kAfXdp, 100'000, 99'000, 0, 0, 0, 0, 0, 0, 1'000, 0,
     1'000, 0, "XSK rx_ring_full 1,000 + unexplained 0"},
    {"to an empty fill ring and a full RX ring", PathKind::kAfXdp, 100'000, 97'000, 0, 0, 0, 0, 0,
     2'000, 1'000, 0, 3'000, 0, "XSK rx_dropped 2,000 + XSK rx_ring_full 1,000"},
    // Native XDP on veth counts the XSK's drops in B's rx_dropped too (veth_xdp_rcv): once only.
    {"to the XSK, seen on the link too", PathKind::kAfXdp, 5'000, 3'584, 0, 0, 0, 0, 1'416, 1'416,
     0, 0, 1'416, 0,
     "= received 3,584 + XSK rx_dropped 1,416 + unexplained 0"},
    {"to the XSK and the link", PathKind::kAfXdp, 5'000, 3'000, 0, 0, 0, 0, 2'000, 1'500, 0, 0,
     2'000, 0, "veth drops (A tx_dropped 0, B rx_dropped 2000 less the XSK's drops) 500"},
    // One veth drop shows on both ends (sender's tx_dropped, peer's rx_dropped): counted once.
    {"to link drops", PathKind::kSocket, 50'000, 49'500, 0, 0, 0, 500, 500, 0, 0, 0, 500, 0,
     "veth drops (A tx_dropped 500, B rx_dropped 500) 500 + unexplained 0"},
    {"to a full socket buffer", PathKind::kSocket, 300'000, 290'000, 0, 10'000, 10'000, 0, 0, 0, 0,
     0, 10'000, 0, "Udp InErrors (namespace B; RcvbufErrors 10000) 10,000"},
    {"partly unexplained", PathKind::kSocket, 1'000, 700, 0, 200, 200, 0, 0, 0, 0, 0, 200, 100,
     "+ unexplained 100"},
    {"all unexplained", PathKind::kAfXdp, 1'000, 900, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100,
     "sent 1,000 = received 900 + unexplained 100"},
    {"left in the sender's TX queue", PathKind::kAfXdp, 1'000, 990, 0, 0, 0, 0, 0, 0, 0, 10, 10, 0,
     "sender TX queue at exit 10"},
    // XSK counters mean nothing for a socket receiver: not added even when present elsewhere.
    {"nothing lost", PathKind::kSocket, 5'000, 5'000, 3, 0, 0, 0, 0, 7, 0, 0, 3, 0,
     "sent 5,000 = received 5,000: nothing lost"},
};

class LossAccounting : public testing::TestWithParam<LossRow> {};

TEST_P(LossAccounting, SentIsReceivedPlusNamedDropsPlusUnexplained) {
  const LossRow& row = GetParam();
  const nlohmann::json acc = loss_json(synthetic_run(row));
  ASSERT_TRUE(acc.is_object());
  EXPECT_EQ(acc.at("lost").get<long long>(), row.sent - row.received);
  EXPECT_EQ(acc.at("explained").get<long long>(), row.want_explained) << acc.dump(2);
  EXPECT_EQ(acc.at("unexplained").get<long long>(), row.want_unexplained) << acc.dump(2);
  EXPECT_NE(acc.at("text").get<std::string>().find(row.want_text), std::string::npos)
      << acc.at("text");
  long long sum = 0;
  for (const auto& d : acc.at("drops")) sum += d.at("frames").get<long long>();
  EXPECT_EQ(sum, row.want_explained);
  if (row.rx == PathKind::kSocket) {
    EXPECT_EQ(acc.dump().find("XSK"), std::string::npos) << "XSK counters on a socket receiver";
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, LossAccounting, testing::ValuesIn(kLossRows),
                         [](const testing::TestParamInfo<LossRow>& param) {
                           std::string n;
                           for (const char* c = param.param.name; *c != '\0'; ++c) {
                             n += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
                           }
                           return n;
                         });

TEST(LossAccounting, MissingCountsGiveNoAccounting) {
  RunCounts run = synthetic_run(kLossRows[0]);
  run.receiver = ToolResult{};
  EXPECT_FALSE(explain_loss(run).has_value());
  run = synthetic_run(kLossRows[0]);
  run.sender.sent.reset();
  EXPECT_FALSE(explain_loss(run).has_value());
}

TEST(LossAccounting, CountersAboveTheLossAreSaid) {
  LossRow row = kLossRows[0];
  row.no_ports = 15'200;  // 28 more than were lost: other traffic in the namespace
  const nlohmann::json acc = loss_json(synthetic_run(row));
  EXPECT_EQ(acc.at("unexplained").get<long long>(), 0);
  EXPECT_NE(acc.at("also").dump().find("28 more drops"), std::string::npos) << acc.dump(2);
}

// A virtual NIC held every frame in front of the driver while the receiver ran: the steering
// program's counters are all 0 and the frames reached B's stack after the program was detached.
// Seen with a qemu virtio-net pair under host load; the line is said only when the program saw
// nothing at all.
TEST(LossAccounting, FramesTheProgramNeverSawAreSaidToHaveArrivedAfterIt) {
  struct Row {
    const char* name;
    long long redirected, passed_other_port, no_ports, received;
    bool said;
  };
  const Row rows[] = {
      {"program saw nothing, all to the stack later", 0, 0, 4'000, 0, true},
      {"program redirected some", 1'000, 0, 3'000, 1'000, false},
      {"program passed other traffic", 0, 2, 4'000, 0, false},
      {"program saw nothing, nothing in the stack", 0, 0, 0, 0, false},
      {"program saw nothing, nothing lost", 0, 0, 0, 4'000, false},
  };
  for (const Row& r : rows) {
    LossRow base = kLossRows[0];
    base.sent = 4'000;
    base.received = r.received;
    base.no_ports = r.no_ports;
    RunCounts run = synthetic_run(base);
    run.receiver.steer = SteerCounts{};
    run.receiver.steer->redirected = r.redirected;
    run.receiver.steer->passed_other_port = r.passed_other_port;
    const std::string also = loss_json(run).at("also").dump();
    EXPECT_EQ(also.find("saw no frame while the receiver ran") != std::string::npos, r.said)
        << r.name << ": " << also;
  }
}

TEST(WithCommas, GroupsThousands) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(15'172), "15,172");
  EXPECT_EQ(with_commas(1'000'000), "1,000,000");
  EXPECT_EQ(with_commas(-1'234), "-1,234");
}

TEST(Pacing, MissedOnlyBeyondTenPercent) {
  auto sender = [](double pps) { return std::optional<double>(pps); };
  const auto missed = pacing_of(50'000, sender(13'900));
  ASSERT_TRUE(missed.has_value());
  EXPECT_TRUE(missed->missed);
  EXPECT_NEAR(missed->short_by_pct, 72.2, 0.1);
  EXPECT_FALSE(pacing_of(50'000, sender(46'000))->missed);  // 8 % short
  EXPECT_TRUE(pacing_of(50'000, sender(44'000))->missed);   // 12 % short
  EXPECT_FALSE(pacing_of(50'000, sender(50'400))->missed);
  EXPECT_FALSE(pacing_of(0, sender(1e6)).has_value()) << "unpaced runs have no target";
  EXPECT_FALSE(pacing_of(50'000, std::nullopt).has_value());
  EXPECT_TRUE(to_json(pacing_of(0, sender(1e6))).is_null());
  EXPECT_EQ(to_json(missed).at("missed"), true);
}

CheckRow check(const char* name, long long expected, long long observed, const char* source) {
  return {name, expected, observed, source, ""};
}

// A paced run of `tx`->`rx` whose sender reached `sender_pps`.
RunRecord paced_run(PathKind tx, PathKind rx, const RunCounts& counts, double sender_pps) {
  RunRecord r;
  r.pair = {tx, rx, false};
  r.phase = {"paced", counts.asked, 50'000};
  r.counts = counts;
  r.counts.sender.pps = sender_pps;
  r.loss = explain_loss(r.counts);
  return r;
}

// The run of the finding: AF_XDP paced, 15,172 frames to NoPorts, the XSK check failing.
RunRecord bad_run(PathKind tx, PathKind rx) {
  RunRecord r = paced_run(tx, rx, synthetic_run(kLossRows[0]), 13'900);
  r.checks = {check("lost = XSK drops", 15'172, 0, "XDP_STATISTICS"),
              check("sent = received + lost", 20'000, 20'000, "receiver")};
  return r;
}

RunRecord good_run(PathKind tx, PathKind rx) {
  RunRecord r = paced_run(tx, rx, synthetic_run(kLossRows[10]), 49'990);
  r.checks = {check("sent = received + lost", 5'000, 5'000, "receiver"),
              {"n/a", std::nullopt, std::nullopt, "x", ""}};
  return r;
}

constexpr PathKind kSock = PathKind::kSocket;
constexpr PathKind kXsk = PathKind::kAfXdp;

TEST(RunProblems, FailedChecksSayHowManyWhichAndWhereTheFramesWent) {
  const std::vector<RunRecord> runs{good_run(kSock, kSock), bad_run(kXsk, kXsk)};
  EXPECT_EQ(failed_checks(runs), 1);
  const std::string text = render_run_problems(runs);
  EXPECT_NE(text.find("✗ 1 check failed (copylab compare exits 4)"), std::string::npos) << text;
  EXPECT_NE(text.find("af_xdp->af_xdp paced: lost = XSK drops: expected 15172, observed 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Udp NoPorts (namespace B) 15,172"), std::string::npos) << text;
  EXPECT_NE(text.find("⚠ af_xdp->af_xdp paced: the sender reached 13,900 frames/s, 72% short of "
                      "the 50,000 asked"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("socket->socket"), std::string::npos) << "a clean run is not listed";
}

TEST(RunProblems, NothingWrongPrintsNothing) {
  const std::vector<RunRecord> runs{good_run(kSock, kSock), good_run(kXsk, kXsk)};
  EXPECT_EQ(failed_checks(runs), 0);
  EXPECT_EQ(render_run_problems(runs), "");
}

CopyVerdicts paced_verdicts(std::vector<const char*> row_ids) {
  CopyVerdicts v;
  v.table = trace::VerdictTable{};
  for (const char* id : row_ids) v.table->rows.push_back({id, id, {}, {}, "gone", {}, ""});
  v.phase = "paced";
  return v;
}

TEST(VerdictFlag, VerdictsFromARunWithLossAreFlagged) {
  const std::vector<RunRecord> runs{good_run(kSock, kSock), bad_run(kXsk, kXsk)};
  CopyVerdicts copies = paced_verdicts({"copy1", "copy4"});
  flag_verdicts(copies, runs);
  const std::string caveat = "from a run with 15,172 lost frames and 1 failed check";
  ASSERT_TRUE(copies.caveat.has_value());
  EXPECT_EQ(copies.caveat->text, caveat);
  EXPECT_EQ(copies.caveat->lost, 15'172);
  EXPECT_EQ(copies.caveat->failed_checks, 1);
  const nlohmann::json j = to_json(copies);
  EXPECT_EQ(j.at("/caveat/text"_json_pointer), caveat) << j.dump(2);
  for (const auto& row : j.at("rows")) EXPECT_EQ(row.at("caveat"), caveat);
  EXPECT_EQ(copies.text().rfind("⚠ The copy verdicts below come " + caveat, 0), 0U)
      << copies.text();
}

TEST(VerdictFlag, CleanRunsAndOtherPhasesLeaveVerdictsAlone) {
  std::vector<RunRecord> runs{good_run(kSock, kSock), good_run(kXsk, kXsk),
                              bad_run(kSock, kXsk)};  // a mixed pair: not a source of verdicts
  RunRecord bad_unpaced = bad_run(kXsk, kXsk);
  bad_unpaced.phase.name = "unpaced";
  runs.push_back(bad_unpaced);
  CopyVerdicts copies = paced_verdicts({});
  flag_verdicts(copies, runs);
  EXPECT_FALSE(copies.caveat.has_value());
  CopyVerdicts none;
  none.not_drawn = "not measured";
  flag_verdicts(none, runs);
  EXPECT_FALSE(none.caveat.has_value());
  EXPECT_FALSE(to_json(none).contains("caveat"));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string without_spaces(std::string s) {
  std::erase_if(s, [](char c) { return c == ' ' || c == '\n'; });
  return s;
}

// A verdict row's evidence as the cross-check writes it: long, with one token longer than a line.
const std::string kLongEvidence =
    "seq 0: same skb 0xffff88810a85e000 and buffer head 0xffff88835a585680 at net_dev_queue and "
    "netif_receive_skb: the buffer moved by pointer (no DMA, no copy); 2000 x "
    "sock:sock_send_length(AF_INET) for 2000 packets (128000 bytes); 0 of 113 kernel samples "
    "(0.00%) in _copy_from_iter; " + std::string(130, 'x') + " end";

TEST(ReportText, LongEvidenceWrapsUnderItsRowWithinTheWidth) {
  const std::string first = "    socket [payload addresses (tracepoint samples)]: ";
  const std::string text = wrap_text(kLongEvidence, 100, first, "      ");
  const auto lines = lines_of(text);
  ASSERT_GE(lines.size(), 4U) << text;
  EXPECT_EQ(lines[0].rfind(first + "seq 0:", 0), 0U) << text;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_LE(display_width(lines[i]), 100U) << "line " << i << ": " << lines[i];
    if (i > 0) {
      EXPECT_EQ(lines[i].rfind("      ", 0), 0U) << "continuation not indented: " << lines[i];
      EXPECT_NE(lines[i][6], ' ') << "continuation indented too far: " << lines[i];
    }
  }
  // Nothing lost or reordered: the same characters, only the line breaks differ.
  EXPECT_EQ(without_spaces(text), without_spaces(first + kLongEvidence));
  // Multi-byte characters count as one column each.
  EXPECT_EQ(display_width("✓ µs→"), 5U);
  EXPECT_EQ(wrap_text("✓ " + std::string(20, 'a'), 10, "", "  "),
            "✓\n  aaaaaaaa\n  aaaaaaaa\n  aaaa\n");
}

TEST(ReportText, WideTablesSplitIntoBlocksThatFit) {
  TextTable t;
  t.rows.push_back({"receiver CPU user µs/pkt", {}});
  t.rows.push_back({"receiver mode", {}});
  for (int i = 0; i < 8; ++i) {
    t.rows[0].cells.push_back(std::to_string(1000 + i));
    t.rows[1].cells.push_back("af_xdp/native/copy/spin" + std::to_string(i));
  }
  const std::string text = render_table(t, 100);
  std::size_t blocks = 0;
  for (const auto& l : lines_of(text)) {
    EXPECT_LE(display_width(l), 100U) << l;
    if (l.rfind("receiver mode", 0) == 0) ++blocks;
  }
  EXPECT_GE(blocks, 3U) << text;
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE(text.find("af_xdp/native/copy/spin" + std::to_string(i)), std::string::npos) << text;
  }
  // Within a block the cells are right-aligned: both rows end in the same column.
  const auto lines = lines_of(text);
  EXPECT_EQ(display_width(lines[0]), display_width(lines[1])) << text;
}

// A whole report with the long parts of a real one: every line fits 100 columns, the evidence
// sits under its row, and the per-packet columns stay aligned on every verdict row.
TEST(CompareReport, EveryLineFitsAndVerdictColumnsAlign) {
  CompareOutcome outcome;
  for (const auto& [tx, rx] : {std::pair{kSock, kSock}, {kXsk, kXsk}, {kSock, kXsk}, {kXsk, kSock}}) {
    for (const char* phase : {"paced", "unpaced"}) {
      RunRecord r = good_run(tx, rx);
      r.phase.name = phase;
      r.counts.receiver.mode = {"native", "copy", "spin"};
      r.counts.receiver.received = 123456789;
      r.counts.receiver.pps = 1234567.0;
      r.checks.push_back(check("XDP program redirected = received + XSK drops (rx_dropped "
                               "+ rx_ring_full)",
                               2000, 2000, "steering program per-CPU counters"));
      outcome.runs.push_back(r);
    }
  }
  const auto cell = [](double per, const std::string& ev) {
    return trace::VerdictCell{per, "exact count (tracepoint)", ev};
  };
  outcome.copies.phase = "paced";
  outcome.copies.table = trace::VerdictTable{};
  outcome.copies.table->rows = {
      {"copy1", "COPY #1 user buffer -> kernel skb (send, _copy_from_iter)",
       cell(1, kLongEvidence), cell(0, "0 x sock_send_length"),
       "moved to skb_store_bits (kernel: UMEM -> skb)", {}, ""},
      {"xdp_headroom_copy",
       "native veth XDP headroom copy: skb -> page_pool page (skb_pp_cow_data)",
       cell(0, "no XDP program on the socket path"), cell(1, kLongEvidence),
       "added (XDP on veth)", {}, ""}};
  outcome.copies.table->summary = kLongEvidence;
  outcome.copies.table->zero_copy_note = kLongEvidence;
  outcome.notes = {kLongEvidence, "short"};
  const std::string text = render_compare_report(outcome);
  std::size_t socket_end = 0;
  std::vector<std::size_t> number_ends;
  for (const auto& l : lines_of(text)) {
    EXPECT_LE(display_width(l), 100U) << l;
    if (l.rfind("copy ", 0) == 0) socket_end = l.find("socket") + 6;
    if (l.rfind("COPY #1", 0) == 0 || l.rfind("native veth XDP", 0) == 0) {
      number_ends.push_back(l.find_first_of("01", 44) + 4);  // "1.00" / "0.00"
    }
  }
  ASSERT_NE(socket_end, 0U) << text;
  ASSERT_EQ(number_ends.size(), 2U) << text;
  for (const std::size_t end : number_ends) EXPECT_EQ(end, socket_end) << text;
  EXPECT_NE(text.find("\n    socket [exact count (tracepoint)]: seq 0: same skb"), std::string::npos)
      << text;
  // The table reads the tools' fields: the receiver's count and mode appear as given.
  EXPECT_NE(text.find("123456789"), std::string::npos) << text;
  EXPECT_NE(text.find("native/copy/spin"), std::string::npos) << text;
}

// An xdp_receiver --json document, cut to the keys the checks read and a few they do not.
nlohmann::json xdp_receiver_doc() {
  return nlohmann::json::parse(R"({
    "tool": "xdp_receiver", "pid": 42, "datapath": "af_xdp",
    "mode": {"datapath": "af_xdp", "xdp_attach": "native", "bind": "copy", "wait": "spin",
             "rings": {"rx": 8192}},
    "result": {"received": 990, "lost": 10, "pps": 49000.5, "stopped_by": "drain",
               "validator": {"received": 991, "unique": 990, "duplicates": 1, "reordered": 0,
                             "corrupt": 0, "payload_bytes": 63360, "highest_seq": 999},
               "per_second": []},
    "counters": {"xdp_statistics": {"rx_dropped": 4, "rx_invalid_descs": 0,
                                    "tx_invalid_descs": 0, "rx_ring_full": 6,
                                    "rx_fill_ring_empty_descs": 12, "tx_ring_empty_descs": 0},
                 "steer": {"redirected": 1000, "passed_no_xsk": 3, "passed_other_port": 0,
                           "passed_not_udp": 0, "passed_truncated": 0, "rx_stamping": false,
                           "meta_stamped": 0, "meta_refused": 0},
                 "rx_frames": 990}
  })");
}

TEST(ParseToolResult, ReadsTheFieldsTheChecksUse) {
  const ToolResult r = parse_tool_result(xdp_receiver_doc(), "rx.json");
  EXPECT_EQ(r.received, 990);
  EXPECT_EQ(r.lost, 10);
  EXPECT_EQ(r.pps, 49000.5);
  EXPECT_EQ(r.stopped_by, "drain");
  ASSERT_TRUE(r.validator.has_value());
  EXPECT_EQ(r.validator->duplicates, 1);
  ASSERT_TRUE(r.xdp_statistics.has_value());
  EXPECT_EQ(r.xdp_statistics->rx_dropped, 4);
  EXPECT_EQ(r.xdp_statistics->rx_ring_full, 6);
  EXPECT_EQ(r.xdp_statistics->rx_fill_ring_empty_descs, 12);
  ASSERT_TRUE(r.steer.has_value());
  EXPECT_EQ(r.steer->redirected, 1000);
  EXPECT_EQ(r.steer->passed_no_xsk, 3);
  EXPECT_EQ(r.mode.xdp_mode(), XdpMode::kNative);
  EXPECT_FALSE(r.mode.zero_copy());
  EXPECT_EQ(r.mode.wait, "spin");
}

TEST(ParseToolResult, FieldsAToolDoesNotReportAreNullopt) {
  // A socket sender: no received/validator, no XDP_STATISTICS, no steering program.
  const auto doc = nlohmann::json::parse(R"({
    "tool": "sock_sender", "datapath": "socket", "mode": {"datapath": "socket", "wait": "block"},
    "result": {"sent": 1000, "in_flight_at_end": 0, "pps": 50000.0, "stopped_by": "count"},
    "counters": {"sent": 1000, "received": 0}})");
  const ToolResult r = parse_tool_result(doc, "tx.json");
  EXPECT_EQ(r.sent, 1000);
  EXPECT_FALSE(r.received.has_value());
  EXPECT_FALSE(r.lost.has_value());
  EXPECT_FALSE(r.validator.has_value());
  EXPECT_FALSE(r.xdp_statistics.has_value());
  EXPECT_FALSE(r.steer.has_value());
  EXPECT_FALSE(r.mode.xdp_attach.has_value());
  EXPECT_FALSE(r.mode.xdp_mode().has_value());
  // A TX-only AF_XDP socket writes its steering counters as null and its attach mode as "none".
  nlohmann::json xdp_sender = doc;
  xdp_sender["counters"]["steer"] = nullptr;
  xdp_sender["mode"]["xdp_attach"] = "none";
  const ToolResult x = parse_tool_result(xdp_sender, "tx.json");
  EXPECT_FALSE(x.steer.has_value());
  EXPECT_FALSE(x.mode.xdp_mode().has_value());
  // No result at all: every count is missing, nothing throws.
  const ToolResult empty = parse_tool_result(nlohmann::json::object(), "tx.json");
  EXPECT_FALSE(empty.sent.has_value());
  EXPECT_FALSE(empty.pps.has_value());
}

// The message of the Error parse_tool_result throws on `doc` ("" when it does not throw).
std::string parse_error(const nlohmann::json& doc) {
  try {
    (void)parse_tool_result(doc, "/tmp/w/af_xdp-af_xdp-paced.receiver.json");
  } catch (const Error& e) {
    EXPECT_FALSE(e.fix().empty());
    return e.what();
  }
  return "";
}

TEST(ParseToolResult, AWrongTypeIsOneErrorNamingTheFileAndTheField) {
  nlohmann::json doc = xdp_receiver_doc();
  doc["result"]["received"] = "990";
  EXPECT_EQ(parse_error(doc),
            "/tmp/w/af_xdp-af_xdp-paced.receiver.json: /result/received is string, expected an "
            "integer");
  doc = xdp_receiver_doc();
  doc["result"]["lost"] = 1.5;  // a count is a whole number
  EXPECT_NE(parse_error(doc).find("/result/lost is number, expected an integer"), std::string::npos);
  doc = xdp_receiver_doc();
  doc["counters"]["xdp_statistics"]["rx_ring_full"] = true;
  EXPECT_NE(parse_error(doc).find("/counters/xdp_statistics/rx_ring_full is boolean"),
            std::string::npos);
  doc = xdp_receiver_doc();
  doc["mode"]["bind"] = 1;
  EXPECT_NE(parse_error(doc).find("/mode/bind is number, expected a string"), std::string::npos);
  doc = xdp_receiver_doc();
  doc["counters"]["steer"] = nlohmann::json::array();
  EXPECT_NE(parse_error(doc).find("/counters/steer is array, expected an object"),
            std::string::npos);
  doc = xdp_receiver_doc();
  doc["result"]["validator"].erase("corrupt");  // the tools write these counts together
  EXPECT_NE(parse_error(doc).find("/result/validator/corrupt is missing"), std::string::npos);
  EXPECT_NE(parse_error(nlohmann::json::array()).find("the document is array, expected an object"),
            std::string::npos);
  EXPECT_EQ(parse_error(xdp_receiver_doc()), "");
}

// A clean af_xdp->af_xdp run of 1,000 frames, native XDP, counters as the kernel shows them.
RunCounts clean_xdp_run() {
  RunCounts run;
  run.af_xdp_tx = run.af_xdp_rx = true;
  run.asked = 1000;
  run.sender.sent = 1000;
  run.receiver = parse_tool_result(xdp_receiver_doc(), "rx.json");
  run.receiver.received = 1000;
  run.receiver.lost = 0;
  run.receiver.validator = ValidatorCounts{1000, 1000, 0, 0, 0};
  run.receiver.xdp_statistics = XskStatistics{};
  run.receiver.steer->redirected = 1000;
  run.kernel.a.link.tx_packets = 1000;
  run.kernel.a.udp.out_datagrams = 0;
  run.kernel.b.udp.in_datagrams = 0;
  run.kernel.b.ethtool["rx_queue_0_xdp_redirect"] = 1000;
  return run;
}

const CheckRow* find_check(const std::vector<CheckRow>& checks, std::string_view prefix) {
  for (const CheckRow& c : checks) {
    if (c.name.rfind(prefix, 0) == 0) return &c;
  }
  return nullptr;
}

TEST(CrossChecks, ACleanAfXdpRunPassesEveryCheck) {
  const auto checks = cross_checks(clean_xdp_run());
  ASSERT_EQ(checks.size(), 9U);
  for (const CheckRow& c : checks) EXPECT_EQ(c.ok(), true) << c.name;
  EXPECT_EQ(find_check(checks, "namespace B Udp InDatagrams = received"), nullptr)
      << "a socket receiver's check on an AF_XDP run";
}

TEST(CrossChecks, EachCheckComparesItsOwnCounter) {
  RunCounts run = clean_xdp_run();
  run.receiver.received = 990;
  run.receiver.lost = 10;
  run.receiver.xdp_statistics->rx_ring_full = 10;
  run.kernel.b.ethtool["rx_queue_0_xdp_redirect"] = 990;
  run.kernel.a.link.tx_packets = 999;
  run.receiver.validator->reordered = 2;
  const auto checks = cross_checks(run);
  const CheckRow* link = find_check(checks, "device A link tx_packets = sent");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->expected, 1000);
  EXPECT_EQ(link->observed, 999);
  EXPECT_EQ(link->ok(), false);
  EXPECT_EQ(find_check(checks, "no corrupt")->observed, 2);
  EXPECT_EQ(find_check(checks, "XDP program redirected")->expected, 1000);  // 990 + 0 + 10
  EXPECT_EQ(find_check(checks, "lost = XSK drops")->ok(), true);
  EXPECT_EQ(find_check(checks, "veth rx_queue_0_xdp_redirect")->ok(), true);
  const nlohmann::json failed = to_json(*link);
  EXPECT_EQ(failed, nlohmann::json::parse(R"({"name": "device A link tx_packets = sent",
      "expected": 1000, "observed": 999, "ok": false, "source": "ip -s link",
      "note": "kernel's count of frames leaving the sender's device"})"));
}

TEST(CrossChecks, ACounterNotReadIsUnavailableNotAPass) {
  RunCounts run = clean_xdp_run();
  run.receiver.steer.reset();
  run.kernel.a.link = LinkCounters{};
  run.receiver.mode.xdp_attach = "generic";  // veth's redirect counter counts native XDP only
  const auto checks = cross_checks(run);
  for (const char* name : {"XDP program redirected", "device A link tx_packets",
                           "veth rx_queue_0_xdp_redirect"}) {
    const CheckRow* c = find_check(checks, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_FALSE(c->ok().has_value()) << name;
    const nlohmann::json j = to_json(*c);
    EXPECT_TRUE(j.at("ok").is_null()) << j;
    EXPECT_EQ(j.at("unavailable"), true) << j;
    EXPECT_FALSE(j.contains("expected")) << j;
  }
}

// Where the sender's transmits are counted: tx_packets, except a zero-copy send on a driver that
// counts those in its XDP TX statistic instead (virtio_net's tx_xdp_tx).
struct TxCountRow {
  const char* name;
  const char* bind;
  bool driver_has_xdp_tx;
  const char* check;       // the check that must be there
  const char* not_check;   // the one that must not
};

class SenderTxCount : public ::testing::TestWithParam<TxCountRow> {};

TEST_P(SenderTxCount, ReadFromTheCounterTheDriverUses) {
  const TxCountRow& row = GetParam();
  RunCounts run = clean_xdp_run();
  run.sender.mode.bind = row.bind;
  // What a zero-copy send on virtio_net leaves: tx_packets 0, the frames in tx_xdp_tx.
  if (row.driver_has_xdp_tx) run.kernel.a.ethtool["tx_xdp_tx"] = 1000;
  if (row.driver_has_xdp_tx && std::string(row.bind) == "zero-copy") run.kernel.a.link.tx_packets = 0;
  const auto checks = cross_checks(run);
  const CheckRow* c = find_check(checks, row.check);
  ASSERT_NE(c, nullptr) << row.check;
  EXPECT_EQ(c->ok(), true) << c->name;
  EXPECT_EQ(find_check(checks, row.not_check), nullptr) << row.not_check;
  // A short count fails it.
  if (std::string(row.check).find("tx_xdp_tx") != std::string::npos) {
    run.kernel.a.ethtool["tx_xdp_tx"] = 999;
  } else {
    run.kernel.a.link.tx_packets = 999;
  }
  EXPECT_EQ(find_check(cross_checks(run), row.check)->ok(), false);
}

INSTANTIATE_TEST_SUITE_P(
    Binds, SenderTxCount,
    ::testing::Values(
        TxCountRow{"CopyVeth", "copy", false, "device A link tx_packets = sent", "device A tx_xdp_tx"},
        TxCountRow{"CopyVirtio", "copy", true, "device A link tx_packets = sent", "device A tx_xdp_tx"},
        TxCountRow{"ZeroCopyVirtio", "zero-copy", true, "device A tx_xdp_tx = sent",
                   "device A link tx_packets"},
        TxCountRow{"ZeroCopyOtherDriver", "zero-copy", false, "device A link tx_packets = sent",
                   "device A tx_xdp_tx"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(CrossChecks, SocketPathsCheckTheUdpMib) {
  RunCounts run;
  run.asked = 500;
  run.sender.sent = 500;
  run.receiver.received = 480;
  run.receiver.lost = 20;
  run.kernel.a.udp.out_datagrams = 500;
  run.kernel.b.udp.in_datagrams = 480;
  run.kernel.b.udp.rcvbuf_errors = 20;
  const auto checks = cross_checks(run);
  EXPECT_EQ(find_check(checks, "namespace A Udp OutDatagrams = sent")->ok(), true);
  EXPECT_EQ(find_check(checks, "namespace B Udp InDatagrams = received")->ok(), true);
  EXPECT_EQ(find_check(checks, "lost = Udp RcvbufErrors")->ok(), true);
  EXPECT_EQ(find_check(checks, "XDP program redirected"), nullptr);
}

TEST(KernelCounters, KernelNamesMapToFieldsAndBackWithNothingDropped) {
  const CounterMap before{{"InDatagrams", 10}, {"NoPorts", 1}, {"FutureCounter", 5}};
  const CounterMap after{{"InDatagrams", 110}, {"NoPorts", 4}, {"FutureCounter", 7},
                         {"RcvbufErrors", 3}};
  KernelCounters b, a;
  b.udp = udp_counters_of(before);
  a.udp = udp_counters_of(after);
  EXPECT_EQ(a.udp.in_datagrams, 110);
  EXPECT_EQ(a.udp.other.count("FutureCounter"), 1U);
  b.ethtool = {{"rx_queue_0_xdp_redirect", 7}, {"peer_ifindex", 3}};
  a.ethtool = {{"rx_queue_0_xdp_redirect", 1007}};
  b.link = link_counters_of({{"tx_packets", 1}, {"rx_dropped", 0}});
  a.link = link_counters_of({{"tx_packets", 1001}, {"rx_dropped", 2}});
  const KernelCounters d = counters_delta(b, a);
  EXPECT_EQ(d.udp.in_datagrams, 100);
  EXPECT_EQ(d.udp.no_ports, 3);
  EXPECT_FALSE(d.udp.rcvbuf_errors.has_value()) << "read once only: no delta";
  EXPECT_EQ(d.link.tx_packets, 1000);
  // The report shows them under the kernel's names, as read.
  EXPECT_EQ(to_json(KernelCountersDelta{d, KernelCounters{}}), nlohmann::json::parse(R"({
      "a": {"udp": {"InDatagrams": 100, "NoPorts": 3, "FutureCounter": 2},
            "link": {"tx_packets": 1000, "rx_dropped": 2},
            "ethtool": {"rx_queue_0_xdp_redirect": 1000}},
      "b": {"udp": {}, "link": {}, "ethtool": {}}})"));
}

TEST(KernelCounters, SnmpAndEthtoolTextParse) {
  const std::string snmp =
      "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
      "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\n"
      "Udp: 12 3 0 40 x\n";
  const UdpCounters udp = udp_counters_of(parse_snmp_section(snmp, "Udp"));
  EXPECT_EQ(udp.in_datagrams, 12);
  EXPECT_EQ(udp.no_ports, 3);
  EXPECT_EQ(udp.out_datagrams, 40);
  EXPECT_FALSE(udp.rcvbuf_errors.has_value()) << "a non-number is left out";
  EXPECT_TRUE(udp.other.empty());
  const CounterMap eth = parse_ethtool_stats("NIC statistics:\n     peer_ifindex: 7\n"
                                             "     rx_queue_0_xdp_redirect: 1000\n");
  EXPECT_EQ(eth, (CounterMap{{"peer_ifindex", 7}, {"rx_queue_0_xdp_redirect", 1000}}));
}

TEST(UserCopyVerdict, OneRuleForEveryBackend) {
  const auto cell = [](std::optional<double> per) { return trace::VerdictCell{per, "", ""}; };
  using trace::user_copy_verdict;
  EXPECT_EQ(user_copy_verdict(cell(1.0), cell(0.0), ""), "gone");
  EXPECT_EQ(user_copy_verdict(cell(1.0), cell(0.0), "__xsk_rcv"), "moved to __xsk_rcv");
  EXPECT_EQ(user_copy_verdict(cell(1.0), cell(1.0), "x"), "still there");
  EXPECT_EQ(user_copy_verdict(cell(0.0), cell(0.0), "x"), "absent on both paths");
  EXPECT_EQ(user_copy_verdict(cell(std::nullopt), cell(0.0), "x"), "not measured");
  EXPECT_EQ(user_copy_verdict(cell(1.0), cell(std::nullopt), "x"), "not measured");
}

// ---- --xsk-bind: the pairs it runs and the three-column table ----

struct BindRow {
  XskBindChoice bind;
  bool all_pairs;
  std::vector<std::string> labels;
  bool with_dpdk = false;
};

TEST(XskBind, PairsPerBindChoice) {
  const std::vector<BindRow> rows{
      {XskBindChoice::kCopy, false, {"socket->socket", "af_xdp->af_xdp"}},
      {XskBindChoice::kZeroCopy, false, {"socket->socket", "af_xdp_zc->af_xdp_zc"}},
      {XskBindChoice::kBoth, false, {"socket->socket", "af_xdp->af_xdp", "af_xdp_zc->af_xdp_zc"}},
      {XskBindChoice::kZeroCopy, true,
       {"socket->socket", "af_xdp_zc->af_xdp_zc", "socket->af_xdp_zc", "af_xdp_zc->socket"}},
      {XskBindChoice::kBoth, true,
       {"socket->socket", "af_xdp->af_xdp", "af_xdp_zc->af_xdp_zc", "socket->af_xdp",
        "af_xdp->socket"}},
      // Where the DPDK pair can run: dpdk->dpdk after the others; --all-pairs adds its mixed
      // pairs with AF_XDP (zero-copy on the AF_XDP side only for --xsk-bind zero-copy).
      {XskBindChoice::kCopy, false, {"socket->socket", "af_xdp->af_xdp", "dpdk->dpdk"}, true},
      {XskBindChoice::kCopy, true,
       {"socket->socket", "af_xdp->af_xdp", "socket->af_xdp", "af_xdp->socket", "dpdk->dpdk",
        "af_xdp->dpdk", "dpdk->af_xdp"},
       true},
      {XskBindChoice::kZeroCopy, true,
       {"socket->socket", "af_xdp_zc->af_xdp_zc", "socket->af_xdp_zc", "af_xdp_zc->socket",
        "dpdk->dpdk", "af_xdp_zc->dpdk", "dpdk->af_xdp_zc"},
       true}};
  for (const BindRow& row : rows) {
    CompareOptions o;
    o.xsk_bind = row.bind;
    o.all_pairs = row.all_pairs;
    o.with_dpdk = row.with_dpdk;
    std::vector<std::string> labels;
    for (const PairSpec& p : pairs_for(o)) {
      labels.push_back(p.label());
      // The bind reaches both tools' paths, and only on an AF_XDP side.
      for (const auto& [kind, path] : {std::pair{p.tx, sender_path(p, o)}, {p.rx, receiver_path(p, o)}}) {
        EXPECT_EQ(path.zero_copy(), kind == kXsk && p.zero_copy) << p.label();
        EXPECT_EQ(path.af_xdp(), kind == kXsk) << p.label();
        EXPECT_EQ(path.dpdk(), kind == PathKind::kDpdk) << p.label();
      }
    }
    EXPECT_EQ(labels, row.labels) << to_string(row.bind) << (row.all_pairs ? " --all-pairs" : "");
  }
}

// A backend's counts given as numbers: per packet on the socket and AF_XDP runs, nullopt = not
// counted.
class FixedCounts final : public trace::CopyCounts {
 public:
  FixedCounts(std::optional<double> xsk_copies, std::optional<double> user_copies)
      : xsk_(xsk_copies), user_(user_copies) {}
  trace::RowMeasure measure(trace::CopyRow row, const trace::AfXdpRunMode&) const override {
    using trace::CopyRow;
    const bool user = row == CopyRow::kCopy1 || row == CopyRow::kCopy4;
    const bool xsk = row == CopyRow::kXskTx || row == CopyRow::kXskRx;
    return {{user ? 1.0 : 0.0, "exact", "socket"},
            {user ? user_ : xsk ? xsk_ : std::optional<double>(0.0), "exact", "af_xdp"},
            ""};
  }
  std::string native_headroom_function() const override { return "skb_pp_cow_data"; }
  std::string how_user_copies_counted() const override { return "exact"; }
  std::string why_user_copies_not_counted() const override { return "no probe"; }

 private:
  std::optional<double> xsk_, user_;
};

const trace::VerdictRow& row_of(const trace::VerdictTable& t, const std::string& id) {
  for (const auto& r : t.rows) {
    if (r.id == id) return r;
  }
  throw std::runtime_error("no row " + id);
}

TEST(XskBind, ZeroCopyVerdictRestsOnTheCountAtTheCopy) {
  const trace::AfXdpRunMode copy_mode{XdpMode::kNative, false};
  const trace::AfXdpRunMode zero_copy{XdpMode::kNative, true};
  struct Row {
    std::optional<double> zc_count;
    std::string verdict;
  };
  for (const Row& r : {Row{0.0, "gone (0 at the copy)"},
                       Row{1.0, "still there (counted at the copy)"},
                       Row{std::nullopt, "not counted (no count at the copy on this run)"}}) {
    trace::VerdictTable t = trace::build_verdicts(FixedCounts(1.0, 0.0), copy_mode, "");
    const trace::VerdictTable z = trace::build_verdicts(FixedCounts(r.zc_count, 0.0), zero_copy, "");
    EXPECT_FALSE(t.has_zero_copy_column());
    trace::add_zero_copy_column(t, z);
    ASSERT_TRUE(t.has_zero_copy_column());
    for (const char* id : {"xsk_tx_copy", "xsk_rx_copy"}) {
      const trace::VerdictRow& row = row_of(t, id);
      EXPECT_EQ(row.verdict, "added (copy mode)") << id;
      EXPECT_EQ(row.verdict_zc, r.verdict) << id;
      EXPECT_EQ(row.af_xdp_zc->per_packet, r.zc_count) << id;
    }
    EXPECT_EQ(row_of(t, "copy1").verdict_zc, "gone");
    EXPECT_NE(t.summary_zc.find(r.zc_count == 0.0 ? "gone too" : "not both counted 0"),
              std::string::npos)
        << t.summary_zc;
    const nlohmann::json j = trace::to_json(t);
    EXPECT_EQ(j["rows"][4]["verdict_zc"], r.verdict);
    EXPECT_TRUE(j.contains("summary_zc"));
  }
}

TEST(XskBind, DeviceDmaIsNamedForTheDriver) {
  trace::VerdictTable t =
      trace::build_verdicts(FixedCounts(1.0, 0.0), {XdpMode::kNative, false}, "");
  const std::string veth = row_of(t, "copy2").verdict;
  trace::name_device_dma(t, "veth");
  EXPECT_EQ(row_of(t, "copy2").verdict, veth) << "veth's rows are the backend's own";
  trace::name_device_dma(t, "virtio_net");
  EXPECT_NE(row_of(t, "xdp_headroom_copy").what.find("virtio_net: not veth's"), std::string::npos);
  EXPECT_EQ(row_of(t, "xdp_headroom_copy").verdict, "none on this run") << "counted 0 by FixedCounts";
  EXPECT_EQ(row_of(t, "copy3").socket.evidence.find("veth"), std::string::npos);
  trace::VerdictTable generic =
      trace::build_verdicts(FixedCounts(1.0, 0.0), {XdpMode::kGeneric, false}, "");
  const std::string generic_what = row_of(generic, "xdp_headroom_copy").what;
  trace::name_device_dma(generic, "virtio_net");
  EXPECT_EQ(row_of(generic, "xdp_headroom_copy").what, generic_what) << "pskb_expand_head on any driver";
  for (const char* id : {"copy2", "copy3"}) {
    EXPECT_NE(row_of(t, id).verdict.find("hypervisor"), std::string::npos) << id;
    EXPECT_EQ(row_of(t, id).verdict.find("gone"), row_of(t, id).verdict.find("not gone") + 4) << id;
  }
}

TEST(XskBind, ReportShowsThreeAlignedColumnsWithinTheWidth) {
  CompareOutcome outcome;
  outcome.copies.phase = "paced";
  trace::VerdictTable t = trace::build_verdicts(FixedCounts(1.0, 0.0), {XdpMode::kNative, false}, "");
  trace::add_zero_copy_column(
      t, trace::build_verdicts(FixedCounts(0.0, 0.0), {XdpMode::kNative, true}, ""));
  outcome.copies.table = t;
  const std::string text = render_compare_report(outcome);
  std::size_t header_end = 0;
  std::size_t rows = 0;
  for (const auto& l : lines_of(text)) {
    EXPECT_LE(display_width(l), 100U) << l;
    if (l.rfind("copy ", 0) == 0 && l.find("zc") != std::string::npos) header_end = l.find("zc") + 2;
    if (l.rfind("AF_XDP RX: xdp_buff", 0) == 0) {
      ++rows;
      // socket 0.00, copy mode 1.00, zero-copy 0.00, the last one ending under "zc".
      EXPECT_NE(l.find("0.00    1.00    0.00"), std::string::npos) << l;
      EXPECT_EQ(l.find("0.00    1.00    0.00") + 20, header_end) << text;
    }
  }
  EXPECT_EQ(rows, 1U) << text;
  EXPECT_NE(text.find("zero-copy: gone (0 at the copy)"), std::string::npos) << text;
  EXPECT_NE(text.find("af_xdp zero-copy [exact]: af_xdp"), std::string::npos) << text;
}

}  // namespace

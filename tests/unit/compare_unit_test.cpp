// What `copylab compare` concludes from its counters, on synthetic runs: where lost frames went
// (sent = received + each named drop counter + unexplained), the paced-rate warning, the
// "N checks failed" block under the table, and copy verdicts flagged when drawn from a bad run.
#include <gtest/gtest.h>

#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "harness/compare_caveats.hpp"
#include "report/compare_report.hpp"
#include "harness/compare_runner.hpp"
#include "harness/loss_accounting.hpp"
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

RunRecord synthetic_run(const LossRow& row) {
  RunRecord rec{{PathKind::kSocket, row.rx}, {"paced", static_cast<std::uint64_t>(row.sent), 50'000},
                {}, {}, {}, nullptr, nlohmann::json::array(), nullptr, 0};
  rec.sender = {{"result", {{"sent", row.sent}, {"in_flight_at_end", row.in_flight_at_end}}}};
  rec.receiver = {{"result", {{"received", row.received}, {"stopped_by", "count"}}}};
  // Present for every receiver, so a socket receiver's rows prove they are not added.
  rec.receiver["counters"] = {
      {"xdp_statistics", {{"rx_dropped", row.xsk_rx_dropped}, {"rx_ring_full", row.xsk_ring_full}}}};
  rec.kernel = {
      {"a", {{"udp", nlohmann::json::object()}, {"link", {{"tx_dropped", row.a_tx_dropped}}}}},
      {"b",
       {{"udp", {{"NoPorts", row.no_ports}, {"InErrors", row.in_errors},
                 {"RcvbufErrors", row.rcvbuf_errors}}},
        {"link", {{"rx_dropped", row.b_rx_dropped}}}}}};
  return rec;
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
  const nlohmann::json acc = explain_loss(synthetic_run(row));
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
  RunRecord rec = synthetic_run(kLossRows[0]);
  rec.receiver = nlohmann::json::object();
  EXPECT_TRUE(explain_loss(rec).is_null());
}

TEST(LossAccounting, CountersAboveTheLossAreSaid) {
  LossRow row = kLossRows[0];
  row.no_ports = 15'200;  // 28 more than were lost: other traffic in the namespace
  const nlohmann::json acc = explain_loss(synthetic_run(row));
  EXPECT_EQ(acc.at("unexplained").get<long long>(), 0);
  EXPECT_NE(acc.at("also").dump().find("28 more drops"), std::string::npos) << acc.dump(2);
}

TEST(WithCommas, GroupsThousands) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(15'172), "15,172");
  EXPECT_EQ(with_commas(1'000'000), "1,000,000");
  EXPECT_EQ(with_commas(-1'234), "-1,234");
}

TEST(Pacing, MissedOnlyBeyondTenPercent) {
  auto sender = [](double pps) { return nlohmann::json{{"result", {{"pps", pps}}}}; };
  const auto missed = pacing_of(50'000, sender(13'900));
  EXPECT_TRUE(missed.at("missed").get<bool>());
  EXPECT_NEAR(missed.at("short_by_pct").get<double>(), 72.2, 0.1);
  EXPECT_FALSE(pacing_of(50'000, sender(46'000)).at("missed").get<bool>());  // 8 % short
  EXPECT_TRUE(pacing_of(50'000, sender(44'000)).at("missed").get<bool>());   // 12 % short
  EXPECT_FALSE(pacing_of(50'000, sender(50'400)).at("missed").get<bool>());
  EXPECT_TRUE(pacing_of(0, sender(1e6)).is_null()) << "unpaced runs have no target";
  EXPECT_TRUE(pacing_of(50'000, nlohmann::json::object()).is_null());
}

// The run of the finding: AF_XDP paced, 15,172 frames to NoPorts, the XSK check failing.
nlohmann::json bad_run(const char* pair) {
  RunRecord rec = synthetic_run(kLossRows[0]);
  nlohmann::json run{{"pair", pair},
                     {"phase", "paced"},
                     {"pacing", pacing_of(50'000, {{"result", {{"pps", 13'900}}}})},
                     {"checks",
                      {{{"name", "lost = XSK drops"}, {"expected", 15'172}, {"observed", 0},
                        {"ok", false}, {"source", "XDP_STATISTICS"}},
                       {{"name", "sent = received + lost"}, {"expected", 20'000},
                        {"observed", 20'000}, {"ok", true}, {"source", "receiver"}}}},
                     {"loss_accounting", explain_loss(rec)}};
  return run;
}

nlohmann::json good_run(const char* pair) {
  LossRow row = kLossRows[10];
  return {{"pair", pair},
          {"phase", "paced"},
          {"pacing", pacing_of(50'000, {{"result", {{"pps", 49'990}}}})},
          {"checks",
           {{{"name", "sent = received + lost"}, {"expected", 5'000}, {"observed", 5'000},
             {"ok", true}, {"source", "receiver"}},
            {{"name", "n/a"}, {"ok", nullptr}, {"source", "x"}}}},
          {"loss_accounting", explain_loss(synthetic_run(row))}};
}

TEST(RunProblems, FailedChecksSayHowManyWhichAndWhereTheFramesWent) {
  const nlohmann::json runs{good_run("socket->socket"), bad_run("af_xdp->af_xdp")};
  EXPECT_EQ(failed_checks_all(runs), 1);
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
  const nlohmann::json runs{good_run("socket->socket"), good_run("af_xdp->af_xdp")};
  EXPECT_EQ(failed_checks_all(runs), 0);
  EXPECT_EQ(render_run_problems(runs), "");
}

TEST(VerdictFlag, VerdictsFromARunWithLossAreFlagged) {
  const nlohmann::json runs{good_run("socket->socket"), bad_run("af_xdp->af_xdp")};
  nlohmann::json copies{{"phase", "paced"},
                        {"rows", {{{"id", "copy1"}}, {{"id", "copy4"}}}},
                        {"text", "Copy verdicts (paced runs):\n..."}};
  flag_verdicts(copies, runs);
  const std::string caveat = "from a run with 15,172 lost frames and 1 failed check";
  EXPECT_EQ(copies.at("/caveat/text"_json_pointer), caveat) << copies.dump(2);
  EXPECT_EQ(copies.at("/caveat/lost"_json_pointer), 15'172);
  for (const auto& row : copies.at("rows")) EXPECT_EQ(row.at("caveat"), caveat);
  EXPECT_EQ(copies.at("text").get<std::string>().rfind("⚠ The copy verdicts below come " + caveat, 0),
            0U)
      << copies.at("text");
}

TEST(VerdictFlag, CleanRunsAndOtherPhasesLeaveVerdictsAlone) {
  nlohmann::json runs{good_run("socket->socket"), good_run("af_xdp->af_xdp"),
                      bad_run("socket->af_xdp")};  // a mixed pair: not a source of verdicts
  nlohmann::json bad_unpaced = bad_run("af_xdp->af_xdp");
  bad_unpaced["phase"] = "unpaced";
  runs.push_back(bad_unpaced);
  nlohmann::json copies{{"phase", "paced"}, {"rows", nlohmann::json::array()}, {"text", "x"}};
  const nlohmann::json before = copies;
  flag_verdicts(copies, runs);
  EXPECT_EQ(copies, before);
  nlohmann::json none{{"rows", nlohmann::json::array()}, {"text", "not measured"}};
  flag_verdicts(none, runs);
  EXPECT_FALSE(none.contains("caveat"));
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
  nlohmann::json runs = nlohmann::json::array();
  for (const char* pair : {"socket->socket", "af_xdp->af_xdp", "socket->af_xdp", "af_xdp->socket"}) {
    for (const char* phase : {"paced", "unpaced"}) {
      nlohmann::json r = good_run(pair);
      r["phase"] = phase;
      r["rate_pps"] = 50'000;
      r["receiver"] = {{"datapath", "af_xdp"},
                       {"mode", {{"xdp_attach", "native"}, {"bind", "copy"}, {"wait", "spin"}}},
                       {"result", {{"received", 123456789}, {"pps", 1234567.0}}}};
      r["checks"].push_back({{"name", "XDP program redirected = received + XSK drops (rx_dropped "
                                      "+ rx_ring_full)"},
                             {"expected", 2000}, {"observed", 2000}, {"ok", true},
                             {"source", "steering program per-CPU counters"}});
      runs.push_back(r);
    }
  }
  const auto cell = [](double per, const std::string& ev) {
    return nlohmann::json{{"per_packet", per}, {"measured", "exact count (tracepoint)"},
                          {"evidence", ev}};
  };
  nlohmann::json rows = nlohmann::json::array();
  rows.push_back({{"id", "copy1"}, {"what", "COPY #1 user buffer -> kernel skb (send, _copy_from_iter)"},
                  {"socket", cell(1, kLongEvidence)}, {"af_xdp", cell(0, "0 x sock_send_length")},
                  {"verdict", "moved to skb_store_bits (kernel: UMEM -> skb)"}});
  rows.push_back({{"id", "xdp_headroom_copy"},
                  {"what", "native veth XDP headroom copy: skb -> page_pool page (skb_pp_cow_data)"},
                  {"socket", cell(0, "no XDP program on the socket path")},
                  {"af_xdp", cell(1, kLongEvidence)}, {"verdict", "added (XDP on veth)"}});
  const nlohmann::json doc{
      {"runs", runs},
      {"copies", {{"phase", "paced"}, {"rows", rows}, {"summary", kLongEvidence},
                  {"zero_copy", kLongEvidence}}},
      {"notes", {kLongEvidence, "short"}}};
  const std::string text = render_compare_report(doc);
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
}

}  // namespace

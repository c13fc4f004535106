// The pure parts of the tracefs hist trigger backend: reading the kernel's hist text back (the
// format a 6.1 kernel prints), the window filter of the
// enable_hist/disable_hist switches, and the comm the kernel gives an exec'd program.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "evidence/hist_format.hpp"
#include "evidence/hist_trigger.hpp"

using namespace copylab;
using namespace copylab::trace;

namespace {

// Shape of a 6.1 `cat events/net/netif_receive_skb/hist` with a stacktrace key and vals=len.
const char* kKernelHist = R"(# event histogram
#
# trigger info: hist:keys=stacktrace:vals=hitcount,len:sort=hitcount:size=2048 [active]
#

{ stacktrace:
         __netif_receive_skb_one_core+0x3c/0xa0
         process_backlog+0x81/0x120
         __dev_queue_xmit+0x385/0xe30
         ip_finish_output2+0x297/0x560
         ip_send_skb+0x82/0x90
         udp_sendmsg+0xb1d/0xea0
} hitcount:          3  len:        684
{ stacktrace:
         __netif_receive_skb_one_core+0x3c/0xa0
         process_backlog+0x81/0x120
         __dev_direct_xmit+0x1a/0x200
} hitcount:          1  len:        228

Totals:
    Hits: 4
    Entries: 2
    Dropped: 0
)";

TEST(ParseHist, ReadsFramesHitcountsAndLen) {
  std::int64_t hits = 0;
  const StackHistogram h = parse_hist(kKernelHist, "net:netif_receive_skb", &hits);
  EXPECT_EQ(h.key_name, "stacktrace");
  EXPECT_TRUE(h.has_len);
  EXPECT_EQ(hits, 4);
  ASSERT_EQ(h.entries.size(), 2U);
  // Sorted by hitcount, ascending, as ftrace prints.
  EXPECT_EQ(h.entries[0].hitcount, 1U);
  EXPECT_EQ(h.entries[1].hitcount, 3U);
  EXPECT_EQ(h.entries[1].len, 684U);
  ASSERT_EQ(h.entries[1].frames.size(), 6U);
  EXPECT_EQ(h.entries[1].frames.front(), "__netif_receive_skb_one_core+0x3c/0xa0");
  EXPECT_EQ(h.total_hits(), 4U);
  EXPECT_TRUE(hist_has_chain(h, {"__dev_queue_xmit", "ip_send_skb", "udp_sendmsg"}));
  EXPECT_EQ(h.source, "tracefs hist trigger");
}

TEST(ParseHist, NoLenWhenTheTriggerHasNone) {
  const StackHistogram h = parse_hist(
      "{ common_stacktrace:\n         xdp_do_redirect+0x1/0x2\n} hitcount:         7\n\nTotals:\n"
      "    Hits: 7\n    Entries: 1\n    Dropped: 2\n",
      "xdp:xdp_redirect");
  EXPECT_EQ(h.key_name, "common_stacktrace");
  EXPECT_FALSE(h.has_len);
  ASSERT_EQ(h.entries.size(), 1U);
  EXPECT_EQ(h.entries[0].hitcount, 7U);
  EXPECT_EQ(h.dropped, 2U);
}

TEST(ParseHist, EmptyHistHasNoEntries) {
  std::int64_t hits = 0;
  const StackHistogram h = parse_hist(
      "# event histogram\n#\n\nTotals:\n    Hits: 0\n    Entries: 0\n    Dropped: 0\n", "e:f", &hits);
  EXPECT_TRUE(h.entries.empty());
  EXPECT_EQ(hits, 0);
  EXPECT_EQ(parse_hist("", "e:f", &hits).entries.size(), 0U);
  EXPECT_EQ(hits, -1);  // no Totals block: not a hist at all
}

TEST(ParseHist, RoundTripsCopylabsOwnFormat) {
  StackHistogram h;
  h.event = "net:netif_receive_skb";
  h.key_name = "stacktrace";
  h.entries.push_back({{"a+0x1/0x2", "b+0x3/0x4"}, 5, 500});
  h.entries.push_back({{"c+0x1/0x2"}, 9, 900});
  std::int64_t hits = 0;
  const StackHistogram back = parse_hist(format_hist(h), h.event, &hits);
  EXPECT_EQ(hits, 14);
  ASSERT_EQ(back.entries.size(), 2U);
  EXPECT_EQ(back.entries[0].frames, h.entries[0].frames);
  EXPECT_EQ(back.entries[1].len, 900U);
}

TEST(HitsWithStack, FindsTheKernelsCutStackInsideLongerStacks) {
  StackHistogram bpf;
  bpf.entries.push_back({{"top+0x1/0x2", "veth_poll+0x6c/0x1ba", "a+0x1/0x2", "b+0x1/0x2"}, 10, 0});
  bpf.entries.push_back({{"veth_poll+0x6c/0x1ba", "a+0x1/0x2", "c+0x1/0x2"}, 5, 0});
  // ftrace: module suffix, no "top" frame, cut after "a".
  EXPECT_EQ(hits_with_stack(bpf, {"veth_poll+0x6c/0x1ba [veth]", "a+0x1/0x2"}), 15U);
  EXPECT_EQ(hits_with_stack(bpf, {"a+0x1/0x2", "b+0x1/0x2"}), 10U);
  // Not contiguous in any entry.
  EXPECT_EQ(hits_with_stack(bpf, {"veth_poll+0x6c/0x1ba", "b+0x1/0x2"}), 0U);
  EXPECT_EQ(hits_with_stack(bpf, {}), 0U);
}

TEST(WindowFilter, NamesCommAndPid) {
  EXPECT_EQ(window_filter({{"sock_receiver", 12}, {"sock_sender", 0}}),
            "(comm == \"sock_receiver\" && pid == 12) || comm == \"sock_sender\"");
  EXPECT_THROW(window_filter({}), Error);
  EXPECT_THROW(window_filter({{"a\"b", 1}}), Error);
}

TEST(CommOf, BasenameCutTo15Characters) {
  EXPECT_EQ(comm_of("/opt/copylab/bin/sock_sender"), "sock_sender");
  EXPECT_EQ(comm_of("sh"), "sh");
  EXPECT_EQ(comm_of("/x/a_very_long_program_name"), "a_very_long_pro");
}

}  // namespace

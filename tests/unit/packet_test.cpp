// packet/: checksums against known vectors, frame build/parse round trip, payload and validator.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "common/error.hpp"
#include "packet/addr.hpp"
#include "packet/checksum.hpp"
#include "packet/frame.hpp"
#include "packet/payload.hpp"
#include "packet/payload_size.hpp"
#include "packet/validator.hpp"

using namespace copylab;

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<std::uint8_t> out;
  for (int b : v) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

FrameSpec test_spec() { return standard_frame_spec(); }

}  // namespace

TEST(Checksum, Ipv4HeaderKnownVector) {
  // The worked example of the IPv4 header checksum (checksum field zeroed): 0xb861.
  auto hdr = bytes({0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0,
                    0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7});
  EXPECT_EQ(ipv4_header_checksum(hdr), 0xb861);
  hdr[10] = 0xb8;
  hdr[11] = 0x61;
  EXPECT_EQ(checksum_fold(checksum_partial(hdr)), 0);  // a correct header sums to zero
}

TEST(Checksum, Udp4KnownVectors) {
  // Vectors computed independently (RFC 1071 sum over pseudo-header + segment).
  const auto src = parse_ipv4("10.0.0.1").be;
  const auto dst = parse_ipv4("10.0.0.2").be;
  auto even = bytes({0x23, 0x28, 0x27, 0x0f, 0x00, 0x18, 0x00, 0x00});
  for (char c : std::string("HELLO_SEND_TRACE")) even.push_back(static_cast<std::uint8_t>(c));
  EXPECT_EQ(udp4_checksum(src, dst, even), 0x272f);
  auto odd = bytes({0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0d, 0x00, 0x00});
  for (char c : std::string("HELLO")) odd.push_back(static_cast<std::uint8_t>(c));
  EXPECT_EQ(udp4_checksum(src, dst, odd), 0xed3f);  // odd length pads with a zero byte
}

TEST(Addr, ParsesAndRejects) {
  EXPECT_EQ(parse_mac("00:00:00:00:00:02").str(), "00:00:00:00:00:02");
  EXPECT_EQ(parse_mac("AA-bb-CC-dd-EE-ff").str(), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(parse_ipv4("10.0.0.2").str(), "10.0.0.2");
  for (const char* bad : {"00:00:00:00:00", "00:00:00:00:00:0g", "000000000002", ""}) {
    try {
      parse_mac(bad, "--dst-mac");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(e.one_line().find("--dst-mac"), std::string::npos);
      EXPECT_NE(e.one_line().find("Fix:"), std::string::npos);
    }
  }
  EXPECT_THROW(parse_ipv4("10.0.0.256"), Error);
  EXPECT_THROW(parse_ipv4("10.0.0"), Error);
}

TEST(Frame, BuildParseRoundTrip) {
  for (std::size_t len : {kMinPayloadLen, std::size_t{64}, std::size_t{65}, std::size_t{1472}}) {
    std::vector<std::uint8_t> buf(frame_len(len));
    write_payload(frame_payload(buf).first(len), 42, 123456789);
    const FrameSpec spec = test_spec();
    ASSERT_EQ(finalize_frame(buf, spec, len, 7), len + 42);
    const auto parsed = parse_frame(buf);
    ASSERT_TRUE(parsed.has_value()) << len;
    EXPECT_TRUE(parsed->ip_checksum_ok);
    EXPECT_EQ(parsed->udp_checksum, UdpChecksum::kFull);
    EXPECT_EQ(parsed->spec.src_mac, spec.src_mac);
    EXPECT_EQ(parsed->spec.dst_mac, spec.dst_mac);
    EXPECT_EQ(parsed->spec.src_ip, spec.src_ip);
    EXPECT_EQ(parsed->spec.dst_ip, spec.dst_ip);
    EXPECT_EQ(parsed->spec.src_port, 9000);
    EXPECT_EQ(parsed->spec.dst_port, 9999);
    ASSERT_EQ(parsed->payload.size(), len);
    PayloadHeader h;
    EXPECT_EQ(read_payload(parsed->payload, h), PayloadStatus::kOk);
    EXPECT_EQ(h.seq, 42U);
  }
}

TEST(Frame, DetectsBadChecksumsAndRejectsNonUdp) {
  std::vector<std::uint8_t> buf(frame_len(64));
  write_payload(frame_payload(buf).first(64), 1, 1);
  finalize_frame(buf, test_spec(), 64);
  auto ip_bad = buf;
  ip_bad[14 + 8] ^= 1;  // TTL
  EXPECT_FALSE(parse_frame(ip_bad)->ip_checksum_ok);
  auto udp_bad = buf;
  udp_bad[60] ^= 0x40;
  EXPECT_EQ(parse_frame(udp_bad)->udp_checksum, UdpChecksum::kBad);
  auto tcp = buf;
  tcp[14 + 9] = 6;
  EXPECT_FALSE(parse_frame(tcp).has_value());
  EXPECT_FALSE(parse_frame(std::span(buf).first(41)).has_value());
  auto truncated_len = buf;
  truncated_len[16] = 0x10;  // IP total length beyond the buffer
  EXPECT_FALSE(parse_frame(truncated_len).has_value());
}

TEST(Frame, ReflectSwapsAndKeepsChecksumsValid) {
  std::vector<std::uint8_t> buf(frame_len(64));
  write_payload(frame_payload(buf).first(64), 5, 5);
  finalize_frame(buf, test_spec(), 64);
  buf[14 + 20 + 6] = 0x12;  // a partial sum, as a socket sender on veth leaves it
  reflect_frame(buf);
  const auto p = parse_frame(buf);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->spec.src_ip.str(), "10.0.0.2");
  EXPECT_EQ(p->spec.dst_mac.str(), "00:00:00:00:00:01");
  EXPECT_EQ(p->spec.src_port, 9999);
  EXPECT_TRUE(p->ip_checksum_ok);
  EXPECT_EQ(p->udp_checksum, UdpChecksum::kFull);
}

// Each row: how a correct frame (default spec, 64-byte payload) is altered, and the verdict the
// receiving kernel would reach (ip_rcv_core for the header, __udp4_lib_rcv for UDP).
struct ChecksumCase {
  const char* name;
  bool flip_ttl;              // TTL is in the IP header sum, not in the UDP pseudo-header
  bool flip_payload;          // a payload byte is covered by a full UDP checksum only
  int udp_field;              // -1: as finalize_frame wrote it; else stored in the UDP checksum
  bool ip_ok;
  UdpChecksum udp;
  bool acceptable;
};

// The pseudo-header of 10.0.0.1 -> 10.0.0.2, protocol 17, UDP length 72, summed by hand:
// 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x0048 = 0x145c. udp4_hwcsum() stores this folded
// sum, not inverted; its inverse is 0xeba3.
constexpr int kPartialSum = 0x145c;
constexpr int kPartialSumInverted = 0xeba3;

void PrintTo(const ChecksumCase& c, std::ostream* os) { *os << c.name; }

class FrameChecksums : public ::testing::TestWithParam<ChecksumCase> {};

TEST_P(FrameChecksums, ClassifiedAsTheKernelWould) {
  const ChecksumCase& c = GetParam();
  std::vector<std::uint8_t> buf(frame_len(64));
  write_payload(frame_payload(buf).first(64), 3, 3);
  finalize_frame(buf, test_spec(), 64);
  if (c.flip_ttl) buf[14 + 8] ^= 1;
  if (c.flip_payload) buf[kHeadersLen + 40] ^= 0x10;
  if (c.udp_field >= 0) {
    buf[14 + 20 + 6] = static_cast<std::uint8_t>(c.udp_field >> 8);
    buf[14 + 20 + 7] = static_cast<std::uint8_t>(c.udp_field & 0xff);
  }
  const auto p = parse_frame(buf);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->ip_checksum_ok, c.ip_ok);
  EXPECT_EQ(p->udp_checksum, c.udp);
  EXPECT_EQ(p->checksums_acceptable(), c.acceptable);
}

INSTANTIATE_TEST_SUITE_P(
    Table, FrameChecksums,
    ::testing::Values(
        ChecksumCase{"ValidFull", false, false, -1, true, UdpChecksum::kFull, true},
        ChecksumCase{"Partial", false, false, kPartialSum, true, UdpChecksum::kPartial, true},
        // CHECKSUM_PARTIAL covers no payload: the receiver cannot tell a damaged one.
        ChecksumCase{"PartialPayloadChanged", false, true, kPartialSum, true,
                     UdpChecksum::kPartial, true},
        ChecksumCase{"PartialInverted", false, false, kPartialSumInverted, true,
                     UdpChecksum::kPartial, true},
        ChecksumCase{"PartialOffByOne", false, false, kPartialSum + 1, true, UdpChecksum::kBad,
                     false},
        ChecksumCase{"Zero", false, false, 0, true, UdpChecksum::kNone, true},
        ChecksumCase{"ZeroPayloadChanged", false, true, 0, true, UdpChecksum::kNone, true},
        ChecksumCase{"WrongIp", true, false, -1, false, UdpChecksum::kFull, false},
        ChecksumCase{"WrongUdp", false, true, -1, true, UdpChecksum::kBad, false},
        ChecksumCase{"WrongUdpField", false, false, 0x1234, true, UdpChecksum::kBad, false},
        ChecksumCase{"BothWrong", true, true, -1, false, UdpChecksum::kBad, false}),
    [](const ::testing::TestParamInfo<ChecksumCase>& p) {
      return std::string(p.param.name);
    });

TEST(Payload, DetectsEveryKindOfDamage) {
  std::vector<std::uint8_t> p(100);
  write_payload(p, 77, 1000, kFlagPing);
  PayloadHeader h;
  ASSERT_EQ(read_payload(p, h), PayloadStatus::kOk);
  EXPECT_EQ(h.flags, kFlagPing);
  EXPECT_EQ(h.send_ns, 1000U);
  set_payload_flags(p, kFlagPong);
  ASSERT_EQ(read_payload(p, h), PayloadStatus::kOk);
  EXPECT_EQ(h.flags, kFlagPong);

  auto magic = p;
  magic[0] ^= 1;
  EXPECT_EQ(read_payload(magic, h), PayloadStatus::kBadMagic);
  auto seq = p;
  seq[9] ^= 1;
  EXPECT_EQ(read_payload(seq, h), PayloadStatus::kBadCheck);
  auto fill = p;
  fill[99] ^= 0x80;
  EXPECT_EQ(read_payload(fill, h), PayloadStatus::kBadFill);
  EXPECT_EQ(read_payload(std::span(p).first(99), h), PayloadStatus::kBadLength);
  EXPECT_EQ(read_payload(std::span(p).first(10), h), PayloadStatus::kTooShort);
}

namespace {
std::vector<std::uint8_t> payload_for(std::uint64_t seq) {
  std::vector<std::uint8_t> p(64);
  write_payload(p, seq, 0);
  return p;
}
}  // namespace

TEST(Validator, InOrderStreamIsIntact) {
  Validator v(64);
  for (std::uint64_t s = 0; s < 1000; ++s) v.observe(payload_for(s));
  EXPECT_TRUE(v.intact(1000));
  EXPECT_EQ(v.lost(1000), 0U);
  EXPECT_FALSE(v.intact(1001));
  EXPECT_EQ(v.lost(1001), 1U);
}

TEST(Validator, CountsLossDuplicatesReorderingCorruption) {
  Validator v(64);
  for (std::uint64_t s : {0, 1, 3, 2, 2, 5, 6}) v.observe(payload_for(s));
  auto bad = payload_for(7);
  bad[40] ^= 1;
  v.observe(bad);
  v.observe({});                 // a frame the datapath could not parse
  const auto truncated = payload_for(8);
  v.observe(std::span(truncated).first(60));
  const auto& c = v.counts();
  EXPECT_EQ(c.received, 10U);
  EXPECT_EQ(c.unique, 6U);       // 0 1 2 3 5 6
  EXPECT_EQ(c.duplicates, 1U);   // the second 2
  EXPECT_EQ(c.reordered, 1U);    // 2 after 3
  EXPECT_EQ(c.max_reorder_distance, 1U);  // 3 - 2
  EXPECT_EQ(c.first_reordered_seq, 2);
  EXPECT_EQ(c.first_reordered_after, 3);
  EXPECT_EQ(c.corrupt, 3U);      // flipped fill, empty, wrong length
  EXPECT_EQ(c.highest_seq, 6);
  EXPECT_EQ(v.gaps(), 1U);       // 4 never arrived
  EXPECT_EQ(v.lost(10), 4U);     // 4, 7, 8, 9
  EXPECT_FALSE(v.intact(7));
}

TEST(Validator, RandomPermutationWithDropsMatchesTruth) {
  std::mt19937_64 rng(12345);
  std::vector<std::uint64_t> seqs(5000);
  for (std::uint64_t i = 0; i < seqs.size(); ++i) seqs[i] = i;
  std::shuffle(seqs.begin(), seqs.end(), rng);
  Validator v;
  std::size_t kept = 0;
  for (std::uint64_t s : seqs) {
    if (rng() % 10 == 0) continue;
    v.observe(payload_for(s));
    ++kept;
  }
  EXPECT_EQ(v.counts().unique, kept);
  EXPECT_EQ(v.lost(seqs.size()), seqs.size() - kept);
  EXPECT_EQ(v.counts().corrupt, 0U);
}

TEST(PayloadSize, OneRangeAndTheDevicesMtu) {
  EXPECT_EQ(max_payload_for_mtu(1500), 1472U);
  EXPECT_EQ(max_payload_for_mtu(9000), 8972U);
  EXPECT_EQ(max_payload_for_mtu(20), 0U);
  EXPECT_NO_THROW(check_payload_size("--size", kMinPayloadSize));
  EXPECT_NO_THROW(check_payload_size("--size", kMaxPayloadSize));
  try {
    check_payload_size("--sizes", 31);
    FAIL() << "31 bytes accepted";
  } catch (const copylab::Error& e) {
    EXPECT_EQ(e.exit_code(), copylab::kExitUsage);
    EXPECT_NE(e.one_line().find("--sizes 31 is outside 32..65507"), std::string::npos) << e.one_line();
  }
  // lo exists in every namespace; its MTU is read, not assumed.
  const unsigned lo_mtu = device_mtu("lo");
  EXPECT_GT(lo_mtu, kIpUdpHeaderLen);
  EXPECT_NO_THROW(check_payload_fits("lo", std::min<std::size_t>(max_payload_for_mtu(lo_mtu), kMaxPayloadSize)));
  if (max_payload_for_mtu(lo_mtu) < kMaxPayloadSize) {
    EXPECT_THROW(check_payload_fits("lo", max_payload_for_mtu(lo_mtu) + 1), copylab::Error);
  }
  try {
    check_payload_fits("nosuchdev0", 64);
    FAIL() << "no error for a missing device";
  } catch (const copylab::Error& e) {
    EXPECT_NE(e.one_line().find("nosuchdev0"), std::string::npos) << e.one_line();
  }
}

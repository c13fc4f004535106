// The AF_XDP datapath against the real kernel: two namespaces joined by a veth pair (made and
// removed by netns/ Topology), a real steering program, real XSK sockets, real frames. Every test
// ends by asking the kernel that no XDP program is left on either device.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include "tests/integration/ready_wait.hpp"
#include "tests/integration/direction_configs.hpp"
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "packet/payload.hpp"
#include "packet/validator.hpp"
#include "xdp/af_xdp_datapath.hpp"
#include "xdp/device.hpp"
#include "xdp/xdp_query.hpp"

using namespace copylab;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kPayload = 64;
constexpr std::uint16_t kPort = 9999;
constexpr std::uint16_t kOtherPort = 7777;
constexpr auto kRunLimit = 60s;  // every loop is bounded by count AND time
// An echo not back within this is missing: a bound on a real loss, not on latency.
constexpr auto kEchoWait = 10s;

// copylab's logging: libbpf/libxdp chatter (the expected dispatcher refusal) only at -vv.
const int kLogging = (setup_logging(0), 0);

AfXdpConfig rx_config(const TopologyConfig& t, XdpMode mode) {
  AfXdpConfig c;
  c.dev = t.dev_b;
  c.mode = mode;
  c.rx = true;
  c.tx = false;
  c.payload_size = kPayload;
  c.frame.dst_port = kPort;
  return c;
}

AfXdpConfig tx_config(const TopologyConfig& t) {
  return copylab::test::af_xdp_sender_config(t, kPayload, kPort);
}

XdpAttachment xdp_on(const std::string& ns, const std::string& dev) {
  NetnsScope in(ns);
  return query_xdp(ifindex_of(dev), dev);
}

void expect_no_xdp_left(const TopologyConfig& t) {
  EXPECT_FALSE(xdp_on(t.ns_a, t.dev_a).attached()) << t.dev_a << " still has an XDP program";
  EXPECT_FALSE(xdp_on(t.ns_b, t.dev_b).attached()) << t.dev_b << " still has an XDP program";
}

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no Error thrown";
  return Error("");
}

// A plain UDP socket in the calling thread's namespace, bound to ip:port, short receive timeout.
class UdpSocket {
 public:
  UdpSocket(Ipv4Addr ip, std::uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw_errno("socket", "test UDP socket", errno);
    const int buf = 16 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
    timeval tv{0, 20'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = ip.be;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) throw_errno("bind", "test UDP socket", errno);
  }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket() { close(fd_); }
  // One datagram (or -1 on timeout); `from` gets the source.
  ssize_t recv(std::vector<std::uint8_t>& buf, sockaddr_in* from = nullptr) {
    socklen_t len = sizeof(sockaddr_in);
    return recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(from),
                    from != nullptr ? &len : nullptr);
  }
  void send_to(Ipv4Addr ip, std::uint16_t port, std::span<const std::uint8_t> data) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = ip.be;
    if (sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) {
      throw_errno("sendto", "test UDP socket", errno);
    }
  }

 private:
  int fd_;
};

struct RxResult {
  ValidatorCounts counts;
  bool intact = false;
  nlohmann::json mode;
  nlohmann::json counters;
};

// Sends `count` frames from an AF_XDP TX-only socket on dev A, never more than `window` ahead of
// what the receiver has reported (so the test checks integrity, not overload behaviour).
nlohmann::json send_frames(const TopologyConfig& t, std::uint64_t count, std::uint64_t window,
                           const std::atomic<std::uint64_t>& received, AfXdpConfig cfg) {
  NetnsScope in_a(t.ns_a);
  validate(cfg, kPayload);
  auto dp = make_af_xdp_datapath(cfg);
  std::uint64_t seq = 0;
  const auto deadline = Clock::now() + kRunLimit;
  while (seq < count && Clock::now() < deadline) {
    const std::uint64_t ahead = seq - received.load(std::memory_order_relaxed);
    if (ahead >= window) {
      dp->flush();
      continue;
    }
    const std::uint64_t n = std::min({count - seq, window - ahead, std::uint64_t{64}});
    dp->send(n, [&](std::span<std::uint8_t> p) { write_payload(p, seq++, now_ns()); });
    dp->flush();
  }
  while (dp->flush() != 0 && Clock::now() < deadline) {
  }
  nlohmann::json out = dp->counters();
  out["mode"] = dp->mode();
  out["sent"] = seq;
  return out;
}

struct Transfer {
  nlohmann::json sender;
  RxResult receiver;
};

// `frames` frames from an AF_XDP sender on dev A to an AF_XDP receiver on dev B, each in its own
// thread and namespace; bounded by count and time.
Transfer run_transfer(const TopologyConfig& t, const AfXdpConfig& rx_cfg, const AfXdpConfig& tx_cfg,
                      std::uint64_t frames) {
  std::promise<void> ready;
  std::atomic<std::uint64_t> received{0};
  auto receiver = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    validate(rx_cfg, kPayload);
    auto dp = make_af_xdp_datapath(rx_cfg);
    ready.set_value();
    Validator v(kPayload);
    // Every frame or the time bound: no idle timeout, which a stalled softirq could outlast.
    const auto deadline = Clock::now() + kRunLimit;
    while (v.counts().unique < frames && Clock::now() < deadline) {
      const std::size_t got = dp->receive(64, [&](std::span<const std::uint8_t> p) { v.observe(p); });
      received.store(v.counts().received, std::memory_order_relaxed);
      if (got == 0) dp->wait_rx(20ms);
    }
    return RxResult{v.counts(), v.intact(frames), dp->mode(), dp->counters()};
  });
  copylab::test::wait_until_ready(ready.get_future(), receiver);
  auto sender = std::async(std::launch::async, [&] {
    // Never more ahead than the receiver's frames: this checks integrity, not overload.
    return send_frames(t, frames, std::min<std::uint64_t>(1024, rx_cfg.rx_frames() / 2), received,
                       tx_cfg);
  });
  Transfer result;
  result.sender = sender.get();
  result.receiver = receiver.get();
  return result;
}

void expect_intact(const Transfer& x, std::uint64_t frames) {
  const RxResult& r = x.receiver;
  EXPECT_EQ(x.sender["sent"], frames);
  EXPECT_EQ(x.sender["tx_completions"], frames) << x.sender.dump();
  EXPECT_EQ(x.sender["frames"]["tx"], 0U);
  EXPECT_EQ(r.counts.unique, frames) << r.counters.dump();
  EXPECT_EQ(r.counts.corrupt, 0U);
  EXPECT_EQ(r.counts.duplicates, 0U);
  EXPECT_EQ(r.counts.reordered, 0U);
  EXPECT_TRUE(r.intact);
  EXPECT_EQ(r.counters["xdp_statistics"]["rx_dropped"], 0U);
  EXPECT_EQ(r.counters["xdp_statistics"]["rx_ring_full"], 0U);
  EXPECT_EQ(r.counters["steer"]["redirected"], frames);
  EXPECT_EQ(r.counters["rx_parse_failures"], 0U);
  EXPECT_EQ(r.counters["udp_csum_partial"], 0U);  // our TX writes complete checksums
}

// One row of the transfer table: a receiver (and sender) configuration, the attach mode the
// kernel must report for it, and what else the row's datapath reads back.
struct TransferRow {
  const char* name;
  XdpMode mode;             // asked for
  const char* attached;     // what the kernel must report (auto tries native first)
  std::uint64_t frames;
  std::function<void(AfXdpConfig& rx, AfXdpConfig& tx)> configure;
  std::function<void(const Transfer&)> check;  // the row's own read-backs
};

void PrintTo(const TransferRow& row, std::ostream* os) { *os << row.name; }

class AfXdpTransfer : public ::testing::TestWithParam<TransferRow> {};

TEST_P(AfXdpTransfer, EveryFrameArrivesIntact) {
  const TransferRow& row = GetParam();
  Topology topo = Topology::create_unique("axt");
  const TopologyConfig t = topo.config();
  AfXdpConfig rx = rx_config(t, row.mode);
  AfXdpConfig tx = tx_config(t);
  if (row.configure) row.configure(rx, tx);
  const Transfer x = run_transfer(t, rx, tx, row.frames);
  expect_intact(x, row.frames);
  EXPECT_EQ(x.sender["mode"]["xdp_attach"], "none");  // TX-only: nothing attached on the sender side
  // What the kernel says it got, not what was asked.
  const RxResult& r = x.receiver;
  EXPECT_EQ(r.mode["xdp_attach"], row.attached) << r.mode.dump();
  EXPECT_EQ(r.mode["bind"], "copy");
  EXPECT_NE(r.mode["dispatcher"].get<std::string>().find("single program"), std::string::npos);
  if (row.check) row.check(x);
  expect_no_xdp_left(t);
}

// Both attach modes with the defaults, then the remaining datapath options, each in a real
// transfer (so no option outlives its code).
INSTANTIATE_TEST_SUITE_P(
    Rows, AfXdpTransfer,
    ::testing::Values(
        TransferRow{"Native100k", XdpMode::kNative, "native", 100'000, nullptr, nullptr},
        TransferRow{"Generic100k", XdpMode::kGeneric, "generic", 100'000, nullptr, nullptr},
        TransferRow{"AutoBusyPoll", XdpMode::kAuto, "native", 20'000,
                    [](AfXdpConfig& rx, AfXdpConfig&) {
                      rx.wait = WaitPolicy::kBusyPoll;
                      rx.busy_poll_usec = 20;
                      rx.busy_poll_budget = 32;
                    },
                    [](const Transfer& x) {
                      const auto& bp = x.receiver.mode["busy_poll"];
                      EXPECT_EQ(bp["so_busy_poll_usec"], 20) << x.receiver.mode.dump();
                      EXPECT_EQ(bp["so_prefer_busy_poll"], 1);
                      // null: this kernel can't read it back
                      EXPECT_TRUE(bp["so_busy_poll_budget"].is_null() || bp["so_busy_poll_budget"] == 32)
                          << bp;
                      EXPECT_EQ(bp["so_busy_poll_budget_set"], 32);
                    }},
        TransferRow{"GenericPollNoNeedWakeup", XdpMode::kGeneric, "generic", 20'000,
                    [](AfXdpConfig& rx, AfXdpConfig& tx) {
                      rx.need_wakeup = tx.need_wakeup = false;
                      rx.wait = WaitPolicy::kPoll;
                    },
                    [](const Transfer& x) {
                      EXPECT_EQ(x.receiver.mode["need_wakeup"], false);
                      EXPECT_EQ(x.receiver.mode["wait"], "poll");
                      // Copy mode transmits only inside sendto: without need_wakeup every batch
                      // is still kicked.
                      EXPECT_GT(x.sender["tx_kicks"].get<std::uint64_t>(), 0U);
                    }},
        TransferRow{"NativeBigFramesHugePagesSmallRings", XdpMode::kNative, "native", 20'000,
                    [](AfXdpConfig& rx, AfXdpConfig& tx) {
                      for (AfXdpConfig* c : {&rx, &tx}) {
                        c->frame_size = 4096;
                        c->frame_count = 1024;
                        c->ring_size = 256;
                        c->batch = 16;
                        c->huge_pages = true;  // falls back (and says so) without reserved huge pages
                      }
                    },
                    [](const Transfer& x) {
                      EXPECT_EQ(x.receiver.mode["umem"]["frame_size"], 4096);
                      EXPECT_EQ(x.receiver.mode["umem"]["frame_count"], 1024);
                      EXPECT_EQ(x.receiver.mode["rings"]["rx"], 256);
                      EXPECT_EQ(x.receiver.mode["rings"]["fill"], 512);  // 2x: consumed lazily
                      EXPECT_EQ(x.receiver.mode["batch"], 16);
                    }}),
    [](const ::testing::TestParamInfo<TransferRow>& row) { return std::string(row.param.name); });

TEST(AfXdpTx, PlainUdpSocketReceivesEveryPayloadIntact) {
  constexpr std::uint64_t kFrames = 10'000;
  Topology topo = Topology::create_unique("axu");
  const TopologyConfig t = topo.config();

  std::promise<void> ready;
  std::atomic<std::uint64_t> received{0};
  auto receiver = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    UdpSocket sock(t.ip_b, kPort);
    ready.set_value();
    Validator v(kPayload);
    std::vector<std::uint8_t> buf(2048);
    std::uint64_t wrong_source = 0;
    const auto deadline = Clock::now() + kRunLimit;
    while (v.counts().unique < kFrames && Clock::now() < deadline) {
      sockaddr_in from{};
      const ssize_t n = sock.recv(buf, &from);
      if (n < 0) continue;
      if (from.sin_addr.s_addr != t.ip_a.be || ntohs(from.sin_port) != 9000) ++wrong_source;
      v.observe({buf.data(), static_cast<std::size_t>(n)});
      received.store(v.counts().received, std::memory_order_relaxed);
    }
    return std::make_pair(v, wrong_source);
  });
  copylab::test::wait_until_ready(ready.get_future(), receiver);
  const nlohmann::json s = send_frames(t, kFrames, 256, received, tx_config(t));
  const auto [v, wrong_source] = receiver.get();
  EXPECT_EQ(s["sent"], kFrames);
  // The kernel stack validates both checksums on veth: anything wrong would be dropped here.
  EXPECT_EQ(v.counts().unique, kFrames);
  EXPECT_EQ(v.counts().corrupt, 0U);
  EXPECT_TRUE(v.intact(kFrames));
  EXPECT_EQ(wrong_source, 0U);
  expect_no_xdp_left(t);
}

TEST(AfXdpSteer, NonMatchingTrafficStillReachesTheStack) {
  constexpr std::uint64_t kEach = 200;
  Topology topo = Topology::create_unique("axs");
  const TopologyConfig t = topo.config();

  std::promise<void> ready;
  // What each receiver has taken: the sender stays within kWindow of the slower one (the veth's
  // ring and the backlog must not overflow while a busy machine defers the softirq).
  constexpr std::uint64_t kWindow = 32;
  std::atomic<std::uint64_t> xsk_taken{0}, stack_taken{0};
  auto receiver = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    UdpSocket other(t.ip_b, kOtherPort);
    auto dp = make_af_xdp_datapath(rx_config(t, XdpMode::kNative));
    ready.set_value();
    Validator xsk(kPayload), stack(kPayload);
    std::vector<std::uint8_t> buf(2048);
    const auto deadline = Clock::now() + kRunLimit;
    while ((xsk.counts().unique < kEach || stack.counts().unique < kEach) && Clock::now() < deadline) {
      dp->receive(64, [&](std::span<const std::uint8_t> p) { xsk.observe(p); });
      const ssize_t n = stack.counts().unique < kEach ? other.recv(buf) : -1;
      if (n >= 0) stack.observe({buf.data(), static_cast<std::size_t>(n)});
      xsk_taken.store(xsk.counts().received, std::memory_order_relaxed);
      stack_taken.store(stack.counts().received, std::memory_order_relaxed);
    }
    return std::make_tuple(xsk.counts(), stack.counts(), dp->counters());
  });
  copylab::test::wait_until_ready(ready.get_future(), receiver);
  {
    NetnsScope in_a(t.ns_a);
    UdpSocket sock(t.ip_a, 0);
    std::vector<std::uint8_t> payload(kPayload);
    const auto deadline = Clock::now() + kRunLimit;
    for (std::uint64_t seq = 0; seq < kEach && Clock::now() < deadline;) {
      if (seq - std::min(xsk_taken.load(), stack_taken.load()) >= kWindow) {
        std::this_thread::yield();
        continue;
      }
      write_payload(payload, seq, now_ns());
      sock.send_to(t.ip_b, kOtherPort, payload);
      sock.send_to(t.ip_b, kPort, payload);
      ++seq;
    }
  }
  const auto [xsk, stack, counters] = receiver.get();
  EXPECT_EQ(stack.unique, kEach) << counters.dump();  // another port: XDP_PASS to the stack
  EXPECT_EQ(stack.corrupt, 0U);
  EXPECT_EQ(xsk.unique, kEach) << counters.dump();    // our port: redirected into the socket
  EXPECT_EQ(xsk.corrupt, 0U);
  EXPECT_GE(counters["steer"]["passed_other_port"].get<std::uint64_t>(), kEach);
  EXPECT_EQ(counters["steer"]["redirected"], kEach);
  // A socket sender on veth leaves CHECKSUM_PARTIAL: counted, never rejected.
  EXPECT_LE(counters["udp_csum_partial"].get<std::uint64_t>(), kEach);
  expect_no_xdp_left(t);
}

TEST(AfXdpEcho, PingsComeBackFromTheSameUmemFrame) {
  constexpr std::uint64_t kPings = 1000;
  Topology topo = Topology::create_unique("axe");
  const TopologyConfig t = topo.config();

  std::promise<void> ready;
  std::atomic<bool> stop{false};
  auto pong = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    AfXdpConfig cfg = rx_config(t, XdpMode::kNative);
    cfg.tx = true;
    cfg.wait = WaitPolicy::kPoll;  // sleep in poll(2): two spinning threads may share a CPU here
    auto dp = make_af_xdp_datapath(cfg);
    ready.set_value();
    std::uint64_t echoed = 0;
    const auto deadline = Clock::now() + kRunLimit;
    while (!stop && Clock::now() < deadline) {
      if (dp->wait_rx(10ms)) echoed += dp->echo(64, [](std::span<const std::uint8_t>) {});
    }
    return std::make_pair(echoed, dp->counters());
  });
  copylab::test::wait_until_ready(ready.get_future(), pong);

  std::uint64_t good = 0;
  nlohmann::json ping_mode;
  {
    NetnsScope in_a(t.ns_a);
    AfXdpConfig cfg = tx_config(t);
    cfg.rx = true;
    cfg.steer_port = cfg.frame.src_port;  // replies come back to our source port
    cfg.wait = WaitPolicy::kPoll;
    auto dp = make_af_xdp_datapath(cfg);
    ping_mode = dp->mode();
    for (std::uint64_t seq = 0; seq < kPings; ++seq) {
      ASSERT_EQ(dp->send(1, [&](std::span<std::uint8_t> p) { write_payload(p, seq, now_ns(), kFlagPing); }), 1U);
      dp->flush();
      bool back = false;
      const auto give_up = Clock::now() + kEchoWait;
      while (!back && Clock::now() < give_up) {
        if (!dp->wait_rx(10ms)) continue;
        dp->receive(1, [&](std::span<const std::uint8_t> p) {
          PayloadHeader h;
          back = read_payload(p, h) == PayloadStatus::kOk && h.seq == seq;
        });
      }
      good += back ? 1 : 0;
    }
    while (dp->flush() != 0) {
    }
  }
  stop = true;
  const auto [echoed, counters] = pong.get();
  EXPECT_EQ(good, kPings);
  EXPECT_EQ(echoed, kPings) << counters.dump();
  EXPECT_EQ(counters["echoed"], kPings);
  EXPECT_EQ(ping_mode["steered_udp_port"], 9000);
  expect_no_xdp_left(t);
}

TEST(AfXdpRefusals, ZeroCopyOnVethIsAClearErrorAndAttachesNothing) {
  Topology topo = Topology::create_unique("axz");
  const TopologyConfig t = topo.config();
  for (const XdpMode mode : {XdpMode::kNative, XdpMode::kGeneric}) {
    NetnsScope in_b(t.ns_b);
    AfXdpConfig cfg = rx_config(t, mode);
    cfg.zero_copy = true;
    const Error e = error_of([&] { make_af_xdp_datapath(cfg); });
    EXPECT_EQ(e.exit_code(), kExitUnsupported);
    EXPECT_NE(e.one_line().find("zero-copy not supported by " + t.dev_b), std::string::npos) << e.one_line();
    EXPECT_NE(e.one_line().find("use --copy"), std::string::npos) << e.one_line();
  }
  expect_no_xdp_left(t);
}

TEST(AfXdpRefusals, QueueThatDoesNotExist) {
  Topology topo = Topology::create_unique("axq");
  const TopologyConfig t = topo.config();
  NetnsScope in_b(t.ns_b);
  AfXdpConfig cfg = rx_config(t, XdpMode::kNative);
  cfg.queue = 1;
  const Error v = error_of([&] { validate(cfg, kPayload); });
  EXPECT_EQ(v.exit_code(), kExitUsage);
  EXPECT_NE(v.one_line().find("queue 1 doesn't exist on " + t.dev_b), std::string::npos) << v.one_line();
  EXPECT_NE(v.fix().find("--queue 0"), std::string::npos);
  // The datapath itself says the same when validate() was skipped.
  const Error d = error_of([&] { make_af_xdp_datapath(cfg); });
  EXPECT_NE(d.one_line().find("queue 1 doesn't exist"), std::string::npos) << d.one_line();
  EXPECT_FALSE(query_xdp(ifindex_of(t.dev_b), t.dev_b).attached());
}

TEST(AfXdpRefusals, PayloadLargerThanTheMtu) {
  Topology topo = Topology::create_unique("axm");
  const TopologyConfig t = topo.config();
  NetnsScope in_a(t.ns_a);
  AfXdpConfig cfg = tx_config(t);
  cfg.frame_size = 4096;
  const Error e = error_of([&] { validate(cfg, 2000); });
  EXPECT_EQ(e.exit_code(), kExitUsage);
  EXPECT_NE(e.one_line().find("exceeds the MTU 1500 of " + t.dev_a), std::string::npos) << e.one_line();
  EXPECT_NE(e.fix().find("--size 1472"), std::string::npos) << e.one_line();
  EXPECT_NO_THROW(validate(cfg, 1472));
}

// Somebody else's XDP program (a two-instruction XDP_PASS), attached for the life of the object.
class ForeignProgram {
 public:
  ForeignProgram(const std::string& dev) : ifindex_(ifindex_of(dev)) {
    bpf_insn insns[2]{};
    insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
    insns[0].dst_reg = BPF_REG_0;
    insns[0].imm = XDP_PASS;
    insns[1].code = BPF_JMP | BPF_EXIT;
    fd_ = bpf_prog_load(BPF_PROG_TYPE_XDP, "someone_else", "GPL", insns, 2, nullptr);
    if (fd_ < 0) throw_errno("bpf_prog_load", "test program", -fd_);
    const int ret = bpf_xdp_attach(ifindex_, fd_, XDP_FLAGS_DRV_MODE, nullptr);
    if (ret != 0) throw_errno("bpf_xdp_attach", dev, -ret);
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    bpf_obj_get_info_by_fd(fd_, &info, &len);
    id_ = info.id;
  }
  ForeignProgram(const ForeignProgram&) = delete;
  ForeignProgram& operator=(const ForeignProgram&) = delete;
  ~ForeignProgram() {
    LIBBPF_OPTS(bpf_xdp_attach_opts, o);
    o.old_prog_fd = fd_;
    bpf_xdp_detach(ifindex_, XDP_FLAGS_DRV_MODE, &o);  // only if it is still ours
    close(fd_);
  }
  std::uint32_t id() const { return id_; }

 private:
  int ifindex_;
  int fd_ = -1;
  std::uint32_t id_ = 0;
};

TEST(AfXdpRefusals, SomeoneElsesProgramIsLeftAlone) {
  Topology topo = Topology::create_unique("axf");
  const TopologyConfig t = topo.config();
  {
    NetnsScope in_b(t.ns_b);
    ForeignProgram foreign(t.dev_b);
    AfXdpConfig by_hand = rx_config(t, XdpMode::kAuto);
    by_hand.offer_force_replace = true;  // as the option parser of a tool run by hand sets it
    const Error e = error_of([&] { make_af_xdp_datapath(by_hand); });
    EXPECT_NE(e.one_line().find("'someone_else'"), std::string::npos) << e.one_line();
    EXPECT_NE(e.one_line().find("already attached to " + t.dev_b), std::string::npos) << e.one_line();
    EXPECT_NE(e.fix().find("--force-replace"), std::string::npos) << e.one_line();
    // Started by another copylab program (compare): its user has no --force-replace to pass.
    const Error e2 = error_of([&] { make_af_xdp_datapath(rx_config(t, XdpMode::kAuto)); });
    EXPECT_NE(e2.one_line().find("someone else's program"), std::string::npos) << e2.one_line();
    EXPECT_EQ(e2.fix().find("--force-replace"), std::string::npos) << e2.one_line();
    const XdpAttachment still = query_xdp(ifindex_of(t.dev_b), t.dev_b);
    EXPECT_EQ(still.prog_id, foreign.id());  // untouched
    EXPECT_EQ(still.mode, XdpAttachMode::kNative);

    // With --force-replace it is replaced for the run (and, as documented, not restored).
    AfXdpConfig cfg = rx_config(t, XdpMode::kGeneric);
    cfg.force_replace = true;
    {
      auto dp = make_af_xdp_datapath(cfg);
      EXPECT_EQ(dp->mode()["xdp_attach"], "generic");
      EXPECT_NE(query_xdp(ifindex_of(t.dev_b), t.dev_b).prog_id, foreign.id());
    }
    EXPECT_FALSE(query_xdp(ifindex_of(t.dev_b), t.dev_b).attached());
  }
  expect_no_xdp_left(t);
}

TEST(AfXdpCleanup, DetachesEvenWhenDestroyedFromAnotherNamespace) {
  Topology topo = Topology::create_unique("axc");
  const TopologyConfig t = topo.config();
  std::unique_ptr<Datapath> dp;
  {
    NetnsScope in_b(t.ns_b);
    dp = make_af_xdp_datapath(rx_config(t, XdpMode::kNative));
    EXPECT_TRUE(query_xdp(ifindex_of(t.dev_b), t.dev_b).attached());
  }
  dp.reset();  // this thread is back in the host namespace
  expect_no_xdp_left(t);
}

}  // namespace

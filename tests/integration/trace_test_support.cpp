#include "tests/integration/ready_wait.hpp"
#include "trace_test_support.hpp"

#include "tests/integration/direction_configs.hpp"

#include <bpf/bpf.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "netns/netns_scope.hpp"
#include "packet/payload.hpp"
#include "sock/socket_config.hpp"
#include "sock/socket_datapath.hpp"
#include "evidence/tracefs.hpp"
#include "xdp/af_xdp_config.hpp"
#include "xdp/af_xdp_datapath.hpp"
#include "xdp/steer_program.hpp"

namespace copylab::trace::testing {

using namespace std::chrono_literals;
using copylab::test::af_xdp_sender_config;
using copylab::test::socket_sender_config;

UdpRun run_udp(const TopologyConfig& t, std::uint64_t count, unsigned batch) {
  constexpr std::size_t kPayload = 64;
  // Never more datagrams in flight than the receiver's socket buffer holds (1024 x ~1 KiB of
  // truesize in 32 MiB), so none is dropped for room however the two threads are scheduled.
  constexpr std::uint64_t kWindow = 1024;
  const auto limit = 20s;
  std::promise<void> ready;
  std::atomic<std::uint64_t> received{0};
  // The sender's final count, published once it has finished (handshake: the receiver then
  // waits for exactly that many, never for a period of silence).
  std::atomic<bool> sender_done{false};
  std::atomic<std::uint64_t> sent_total{0};
  std::chrono::steady_clock::time_point t0, t_last;
  auto receiver = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    SocketDatapath dp(copylab::test::socket_receiver_config(t, batch, kPayload));
    ready.set_value();
    std::uint64_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto expected = [&] { return sender_done ? sent_total.load() : count; };
    while (got < expected() && std::chrono::steady_clock::now() < deadline) {
      if (!dp.wait_rx(50ms)) continue;
      got += dp.receive(256, [](std::span<const std::uint8_t>) {});
      t_last = std::chrono::steady_clock::now();
      received.store(got, std::memory_order_relaxed);
    }
    return got;
  });
  copylab::test::wait_until_ready(ready.get_future(), receiver);
  UdpRun run;
  {
    NetnsScope in_a(t.ns_a);
    SocketDatapath dp(socket_sender_config(t, batch, kPayload));
    std::uint64_t seq = 0;
    t0 = std::chrono::steady_clock::now();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (seq < count && std::chrono::steady_clock::now() < deadline) {
      const std::uint64_t ahead = seq - received.load(std::memory_order_relaxed);
      if (ahead + batch > kWindow) {
        std::this_thread::yield();
        continue;
      }
      dp.send(std::min<std::uint64_t>(batch, count - seq),
              [&](std::span<std::uint8_t> p) { write_payload(p, seq++, now_ns()); });
    }
    while (dp.flush() > 0 && std::chrono::steady_clock::now() < deadline) {
    }
    const nlohmann::json counters = dp.counters();
    run.sent = counters.value("sent", std::uint64_t{0});
    run.send_calls = counters.value("send_calls", std::uint64_t{0});
  }
  sent_total = run.sent;
  sender_done = true;
  run.received = receiver.get();
  run.seconds = std::chrono::duration<double>(t_last - t0).count();
  return run;
}

XskRun run_af_xdp(const TopologyConfig& t, std::uint64_t count, bool native) {
  constexpr std::size_t kPayload = 64;
  constexpr std::uint64_t kWindow = 1024;  // never more in flight than the receiver has room for
  const auto limit = 30s;
  std::promise<void> ready;
  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> sender_done{false};
  std::atomic<std::uint64_t> sent_total{0};
  std::chrono::steady_clock::time_point t0, t_last;
  XskRun run;
  auto receiver = std::async(std::launch::async, [&] {
    NetnsScope in_b(t.ns_b);
    AfXdpConfig c;
    c.dev = t.dev_b;
    c.mode = native ? XdpMode::kNative : XdpMode::kGeneric;
    c.rx = true;
    c.tx = false;
    c.payload_size = kPayload;
    c.frame.dst_port = 9999;
    auto dp = make_af_xdp_datapath(c);
    const nlohmann::json mode = dp->mode();
    ready.set_value();
    std::uint64_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto expected = [&] { return sender_done ? sent_total.load() : count; };
    while (got < expected() && std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = dp->receive(64, [](std::span<const std::uint8_t>) {});
      got += n;
      if (n > 0) t_last = std::chrono::steady_clock::now();
      received.store(got, std::memory_order_relaxed);
      if (n == 0) dp->wait_rx(20ms);
    }
    return std::make_pair(got, mode);
  });
  copylab::test::wait_until_ready(ready.get_future(), receiver);
  {
    NetnsScope in_a(t.ns_a);
    auto dp = make_af_xdp_datapath(af_xdp_sender_config(t, kPayload, 9999));
    std::uint64_t seq = 0;
    t0 = std::chrono::steady_clock::now();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (seq < count && std::chrono::steady_clock::now() < deadline) {
      const std::uint64_t ahead = seq - received.load(std::memory_order_relaxed);
      if (ahead >= kWindow) {
        dp->flush();
        continue;
      }
      const std::uint64_t n = std::min({count - seq, kWindow - ahead, std::uint64_t{64}});
      dp->send(n, [&](std::span<std::uint8_t> p) { write_payload(p, seq++, now_ns()); });
      dp->flush();
    }
    while (dp->flush() != 0 && std::chrono::steady_clock::now() < deadline) {
    }
    run.sent = seq;
  }
  sent_total = run.sent;
  sender_done = true;
  auto [got, mode] = receiver.get();
  run.received = got;
  run.xdp_attach = mode.value("xdp_attach", "");
  run.bind = mode.value("bind", "");
  run.seconds = std::chrono::duration<double>(t_last - t0).count();
  return run;
}

UdpMib read_udp_mib(const std::string& ns) {
  NetnsScope in(ns);
  std::ifstream in_file("/proc/thread-self/net/snmp");
  std::string header, values;
  UdpMib mib;
  while (std::getline(in_file, header) && std::getline(in_file, values)) {
    if (header.rfind("Udp:", 0) != 0) continue;
    std::istringstream hs(header), vs(values);
    std::string name, value;
    while (hs >> name && vs >> value) {
      if (name == "InDatagrams") mib.in_datagrams = std::stoull(value);
      if (name == "OutDatagrams") mib.out_datagrams = std::stoull(value);
    }
    break;
  }
  return mib;
}

BpfIds bpf_ids_of(pid_t pid) {
  BpfIds ids;
  std::error_code ec;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string key;
      std::uint32_t id = 0;
      if (!(ls >> key >> id)) continue;
      if (key == "prog_id:") ids.progs.insert(id);
      if (key == "link_id:") ids.links.insert(id);
    }
  }
  return ids;
}

bool bpf_prog_exists(std::uint32_t id) {
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

bool bpf_link_exists(std::uint32_t id) {
  const int fd = bpf_link_get_fd_by_id(id);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

int perf_event_fds_of(pid_t pid) {
  int n = 0;
  std::error_code ec;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code lec;
    const auto target = std::filesystem::read_symlink(entry.path(), lec);
    if (!lec && target.string().find("perf_event") != std::string::npos) ++n;
  }
  return n;
}

int tracefs_instances_of(pid_t pid) {
  const std::string tracefs = find_tracefs_mount();
  if (tracefs.empty()) return 0;
  int n = 0;
  std::error_code ec;
  const std::string prefix = "copylab-" + std::to_string(pid) + "-";
  for (const auto& entry : std::filesystem::directory_iterator(tracefs + "/instances", ec))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) ++n;
  return n;
}

}  // namespace copylab::trace::testing

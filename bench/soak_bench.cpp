// Soak: paced UDP traffic over AF_XDP and then the socket path, in this process, on one private
// topology, for a bounded time. Every --interval seconds the sender pauses, the receiver catches
// up, and the bench checks that sent = received + the drops the kernel counted (AF_XDP:
// XDP_STATISTICS rx_dropped + rx_ring_full; socket: the receiving namespace's Udp InErrors), and
// samples VmRSS. JSON on stdout: per path the samples, RSS first/last/max, whether RSS stayed
// flat (last <= first + --rss-slack-kb) and whether every interval balanced. Exit 0 when both
// hold for every path, 3 when one does not.
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cli/common_options.hpp"
#include "cli/option_checks.hpp"
#include "packet/payload_size.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "packet/frame.hpp"
#include "packet/payload.hpp"
#include "sock/socket_config.hpp"
#include "sock/socket_datapath.hpp"
#include "evidence/kernel_counters.hpp"
#include "traffic/pacer.hpp"
#include "xdp/af_xdp_config.hpp"
#include "xdp/af_xdp_datapath.hpp"

namespace {

using namespace std::chrono_literals;
using copylab::Datapath;
using copylab::TopologyConfig;

constexpr std::uint16_t kPort = 9999;

struct SoakOptions {
  double seconds = 60;        // whole run, split evenly over the paths
  double interval_s = 5;
  double rate_pps = 100'000;
  std::size_t size = 64;
  long rss_slack_kb = 2048;
  std::vector<std::string> paths{"af_xdp", "socket"};
};

long vm_rss_kb() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// A stream check in constant memory (the validator's bitset would grow the RSS being measured):
// a single-queue veth delivers in order, so anything below the next expected seq is late.
struct StreamCheck {
  std::uint64_t received = 0, corrupt = 0, late = 0, next = 0;
  void observe(std::span<const std::uint8_t> payload) {
    copylab::PayloadHeader h;
    if (copylab::read_payload(payload, h) != copylab::PayloadStatus::kOk) {
      ++corrupt;
      return;
    }
    ++received;
    if (h.seq < next) ++late;
    else next = h.seq + 1;
  }
};

// The two threads of one path and the hand-shake that stops the sender at a sample point.
struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<bool> pause{false};
  std::atomic<bool> sender_paused{false};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> corrupt{0};
  std::atomic<std::uint64_t> late{0};
  std::atomic<std::uint64_t> xsk_drops{0};  // AF_XDP only, refreshed by the receiver thread
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string error;
  void fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (error.empty()) error = what;
    failed = true;
    stop = true;
  }
};

std::unique_ptr<Datapath> make_sender(const std::string& path, const TopologyConfig& t,
                                      const SoakOptions& o) {
  if (path == "af_xdp") {
    copylab::AfXdpConfig c;
    c.dev = t.dev_a;
    c.rx = false;
    c.tx = true;
    c.payload_size = o.size;
    c.frame.src_mac = t.mac_a;
    c.frame.dst_mac = t.mac_b;
    c.frame.src_ip = t.ip_a;
    c.frame.dst_ip = t.ip_b;
    c.frame.dst_port = kPort;
    copylab::validate(c, o.size);
    return copylab::make_af_xdp_datapath(c);
  }
  copylab::SocketConfig c;
  c.role = copylab::SocketRole::kSender;
  c.dev = t.dev_a;
  c.src_ip = t.ip_a.str();
  c.dst_ip = t.ip_b.str();
  c.dst_port = kPort;
  c.payload_size = o.size;
  copylab::validate(c);
  return copylab::make_socket_datapath(c);
}

std::unique_ptr<Datapath> make_receiver(const std::string& path, const TopologyConfig& t,
                                        const SoakOptions& o) {
  if (path == "af_xdp") {
    copylab::AfXdpConfig c;
    c.dev = t.dev_b;
    c.rx = true;
    c.tx = false;
    c.mode = copylab::XdpMode::kNative;
    c.wait = copylab::WaitPolicy::kPoll;  // sleep in poll(2): the sender shares the CPUs
    c.ring_size = 8192;
    c.frame_count = 8192;
    c.payload_size = o.size;
    c.frame.dst_port = kPort;
    copylab::validate(c, o.size);
    return copylab::make_af_xdp_datapath(c);
  }
  copylab::SocketConfig c;
  c.role = copylab::SocketRole::kReceiver;
  c.dev = t.dev_b;
  c.src_ip = t.ip_a.str();
  c.dst_ip = t.ip_b.str();
  c.dst_port = kPort;
  c.rcvbuf = 64 << 20;
  c.wait = copylab::WaitPolicy::kPoll;
  c.payload_size = o.size;
  copylab::validate(c);
  return copylab::make_socket_datapath(c);
}

std::uint64_t xsk_drops_of(const Datapath& dp) {
  const nlohmann::json c = dp.counters();
  const auto& st = c.value("xdp_statistics", nlohmann::json::object());
  return st.value("rx_dropped", std::uint64_t{0}) + st.value("rx_ring_full", std::uint64_t{0});
}

void receiver_thread(const std::string& path, const TopologyConfig& t, const SoakOptions& o,
                     Shared& s, std::atomic<bool>& ready) {
  try {
    copylab::NetnsScope in_b(t.ns_b);
    auto dp = make_receiver(path, t, o);
    ready = true;
    StreamCheck check;
    while (!s.stop) {
      if (dp->receive(64, [&](std::span<const std::uint8_t> p) { check.observe(p); }) == 0) {
        dp->wait_rx(10ms);
      }
      s.received.store(check.received, std::memory_order_release);
      s.corrupt.store(check.corrupt, std::memory_order_relaxed);
      s.late.store(check.late, std::memory_order_relaxed);
      if (path == "af_xdp" && s.pause) s.xsk_drops.store(xsk_drops_of(*dp));
    }
  } catch (const std::exception& e) {
    ready = true;
    s.fail(std::string("receiver: ") + e.what());
  }
}

void sender_thread(const std::string& path, const TopologyConfig& t, const SoakOptions& o,
                   Shared& s) {
  try {
    copylab::NetnsScope in_a(t.ns_a);
    auto dp = make_sender(path, t, o);
    std::uint64_t seq = 0;
    auto fill = [&seq](std::span<std::uint8_t> p) { copylab::write_payload(p, seq++, copylab::now_ns()); };
    while (!s.stop) {
      // A fresh pacer after every pause: the pause is not made up for with a burst.
      const copylab::Pacer pacer(o.rate_pps, copylab::now_ns(), 64);
      std::uint64_t sent_here = 0;
      while (!s.stop && !s.pause) {
        const std::uint64_t want = pacer.allowance(copylab::now_ns(), sent_here);
        if (want == 0) {
          dp->flush();
          std::this_thread::sleep_for(50us);
          continue;
        }
        const std::size_t n = dp->send(want, fill);
        sent_here += n;
        s.sent.fetch_add(n, std::memory_order_release);
        dp->flush();
      }
      // Sample point: everything queued leaves (bounded), then wait to be resumed.
      const auto drain_end = std::chrono::steady_clock::now() + 2s;
      while (dp->flush() != 0 && std::chrono::steady_clock::now() < drain_end) {
      }
      s.sender_paused = true;
      while (s.pause && !s.stop) std::this_thread::sleep_for(1ms);
      s.sender_paused = false;
    }
  } catch (const std::exception& e) {
    s.fail(std::string("sender: ") + e.what());
  }
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return done();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::uint64_t udp_in_errors(const TopologyConfig& t) {
  const auto k = copylab::read_kernel_counters(t.ns_b, t.dev_b);
  return static_cast<std::uint64_t>(k.udp.in_errors.value_or(0));
}

nlohmann::json soak_path(const std::string& path, const TopologyConfig& t, const SoakOptions& o,
                         double seconds) {
  Shared s;
  std::atomic<bool> rx_ready{false};
  const std::uint64_t in_errors_base = path == "socket" ? udp_in_errors(t) : 0;
  std::thread rx(receiver_thread, path, std::cref(t), std::cref(o), std::ref(s), std::ref(rx_ready));
  wait_for([&] { return rx_ready.load(); }, 30s);
  std::thread tx(sender_thread, path, std::cref(t), std::cref(o), std::ref(s));

  nlohmann::json samples = nlohmann::json::array();
  long rss_first = -1, rss_last = -1, rss_max = -1;
  bool consistent = true;
  const auto start = std::chrono::steady_clock::now();
  const auto span = [](double s_) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(s_));
  };
  const auto end = start + span(seconds);
  while (!s.failed && std::chrono::steady_clock::now() < end) {
    const auto next = std::min(std::chrono::steady_clock::now() + span(o.interval_s), end);
    while (!s.failed && std::chrono::steady_clock::now() < next) std::this_thread::sleep_for(10ms);
    if (s.failed) break;
    s.pause = true;
    const bool paused = wait_for([&] { return s.sender_paused.load(); }, 5s);
    // Whatever the kernel has not delivered yet is on its way: allow it a bounded moment, then
    // read the drop counters once.
    const bool xsk = path == "af_xdp";
    const std::uint64_t sent = s.sent.load(std::memory_order_acquire);
    std::uint64_t drops = 0;
    bool balanced = false;
    if (paused) {
      wait_for([&] {
        return s.received.load(std::memory_order_acquire) + (xsk ? s.xsk_drops.load() : 0) == sent;
      }, 3s);
      drops = xsk ? s.xsk_drops.load() : udp_in_errors(t) - in_errors_base;
      balanced = s.received.load(std::memory_order_acquire) + drops == sent;
    }
    const std::uint64_t received = s.received.load(std::memory_order_acquire);
    const long rss = vm_rss_kb();
    if (rss_first < 0) rss_first = rss;
    rss_last = rss;
    rss_max = std::max(rss_max, rss);
    const bool ok = balanced && s.corrupt == 0 && s.late == 0;
    consistent = consistent && ok;
    samples.push_back(
        {{"t_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
         {"sent", sent},
         {"received", received},
         {"drops", drops},
         {"corrupt", s.corrupt.load()},
         {"late", s.late.load()},
         {"balanced", ok},
         {"rss_kb", rss}});
    s.pause = false;
  }
  s.stop = true;
  tx.join();
  rx.join();
  const bool flat = rss_first >= 0 && rss_last <= rss_first + o.rss_slack_kb;
  nlohmann::json out{{"path", path},
                     {"seconds", seconds},
                     {"samples", samples},
                     {"rss_kb", {{"first", rss_first}, {"last", rss_last}, {"max", rss_max}}},
                     {"rss_flat", flat},
                     {"counters_consistent", consistent && !samples.empty() && !s.failed}};
  if (s.failed) out["error"] = s.error;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("copylab soak: paced AF_XDP and socket traffic for a bounded time; RSS and counter "
               "consistency sampled every interval (JSON on stdout; exit 3 when RSS grew or an "
               "interval did not balance)",
               "copylab_bench_soak");
  copylab::CommonOptions common;
  copylab::add_common_options(app, common);
  SoakOptions o;
  app.add_option("--seconds", o.seconds, "Whole run, split evenly over the paths")
      ->check(CLI::Range(2.0, 86400.0))
      ->capture_default_str();
  app.add_option("--interval", o.interval_s, "Seconds between samples")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  app.add_option("--rate", o.rate_pps, "Frames per second on each path")
      ->check(CLI::Range(1.0, 2e6))
      ->capture_default_str();
  copylab::in_range(app.add_option("--size", o.size, "UDP payload bytes"), copylab::kMinPayloadSize,
                    copylab::kMaxPayloadSize)
      ->capture_default_str();
  app.add_option("--rss-slack-kb", o.rss_slack_kb, "RSS growth still called flat (KiB)")
      ->check(CLI::Range(0L, 1L << 30))
      ->capture_default_str();
  app.add_option("--paths", o.paths, "af_xdp and/or socket")
      ->check(CLI::IsMember({"af_xdp", "socket"}))
      ->delimiter(',')
      ->capture_default_str();
  return copylab::run_main(app, argc, argv, common, [&] {
    auto topo = copylab::Topology::create_unique("soak");
    const double per_path = o.seconds / static_cast<double>(o.paths.size());
    nlohmann::json paths = nlohmann::json::array();
    bool ok = true;
    for (const std::string& p : o.paths) {
      paths.push_back(soak_path(p, topo.config(), o, per_path));
      ok = ok && paths.back()["rss_flat"].get<bool>() &&
           paths.back()["counters_consistent"].get<bool>();
    }
    std::cout << nlohmann::json{{"bench", "soak"},
                                {"seconds", o.seconds},
                                {"interval_s", o.interval_s},
                                {"rate_pps", o.rate_pps},
                                {"payload_size", o.size},
                                {"rss_slack_kb", o.rss_slack_kb},
                                {"paths", paths},
                                {"ok", ok}}
                     .dump(2)
              << '\n';
    return ok ? 0 : 3;
  });
}

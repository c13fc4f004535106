#include "latency/experiment.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <future>
#include <optional>
#include <thread>

#include "common/clock.hpp"
#include "common/cpu.hpp"
#include "common/error.hpp"
#include "common/stop.hpp"
#include "xdp/reflector.hpp"
#include "latency/sides.hpp"
#include "latency/tool_sides.hpp"
#include "netns/netns_scope.hpp"
#include "sock/rx_timestamp.hpp"

namespace copylab {

namespace {

// Sets the flag when the ping thread leaves, however it leaves, so the pong never waits forever.
struct SetOnExit {
  std::atomic<bool>& flag;
  ~SetOnExit() { flag.store(true); }
};

std::string software_rx_timestamp_point_text() {
  return "timestamp point: " + software_rx_timestamp_point();
}

std::string fmt_us(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", ns / 1000.0);
  return buf;
}

}  // namespace

RunParams run_params_for(const LatencyOptions& opts, std::size_t payload_bytes, double rate_pps) {
  RunParams p;
  p.cpu_ping = opts.cpu_ping;
  p.cpu_pong = opts.cpu_pong;
  p.ping.count = opts.count;
  p.ping.warmup = opts.warmup;
  p.ping.payload_len = payload_bytes;
  p.ping.rate_pps = rate_pps;
  p.ping.reply_timeout = std::chrono::milliseconds(opts.reply_timeout_ms);
  p.ping.max_duration = std::chrono::milliseconds(static_cast<long>(opts.duration_s * 1000));
  p.ping.significant_digits = opts.digits;
  p.ping.kernel_rx_split = opts.rx_timestamps;
  return p;
}

namespace {

// Both sides as threads of this process (the socket, AF_XDP and XDP_TX sides).
void run_thread_sides(const ModeSpec& mode, const TopologyConfig& topo, const RunParams& params,
                      OnceOutcome& out) {
  const TopologyConfig& pong_topo = params.pong_topo != nullptr ? *params.pong_topo : topo;
  std::atomic<bool> done{false};
  // Set by the pong once its datapath delivered a kernel RX timestamp (or when it has none to
  // deliver): the ping's warm-up lasts until then.
  std::atomic<bool> pong_stamped{false};
  std::promise<void> pong_ready;
  std::future<void> ready = pong_ready.get_future();
  std::exception_ptr ping_error, pong_error;
  nlohmann::json ping_mode, pong_mode, ping_counters, pong_counters;
  // The mode's two sides on this run's CPUs: what each side's thread pins to and builds.
  const SideSpec ping_side{mode.ping.path.on_cpu(params.cpu_ping), mode.ping.xdp_tx_reflector};
  const SideSpec pong_side{mode.pong.path.on_cpu(params.cpu_pong), mode.pong.xdp_tx_reflector};

  std::thread pong([&] {
    bool signalled = false;
    try {
      NetnsScope ns(pong_topo.ns_b);
      pin_current_thread(pong_side.path.cpu());
      if (uses_reflector(mode)) {
        XdpReflector reflector(pong_topo.dev_b, pong_side.path.xdp_mode(),
                               XdpReflector::Role::kReflect, params.port);
        out.pong.one_way_split.not_measured =
            "XDP_TX reflector: no user space on the far side to receive";
        pong_stamped.store(true, std::memory_order_release);
        pong_mode = reflector.mode();
        pong_ready.set_value();
        signalled = true;
        while (!done.load() && !stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        pong_counters = reflector.counters();
      } else {
        SideContext ctx{&pong_topo, PingPongRole::kPong, params.ping.payload_len, params.port,
                        params.ping.kernel_rx_split};
        auto dp = make_side_datapath(pong_side, ctx);
        pong_mode = dp->mode();
        pong_ready.set_value();
        signalled = true;
        run_pong(*dp, done, out.pong, params.ping.kernel_rx_split, &pong_stamped);
        pong_counters = dp->counters();
      }
    } catch (...) {
      pong_error = std::current_exception();
      if (!signalled) pong_ready.set_exception(std::current_exception());
    }
  });

  std::thread ping([&] {
    SetOnExit finish{done};
    try {
      NetnsScope ns(topo.ns_a);
      pin_current_thread(ping_side.path.cpu());
      // XDP_TX into a veth is delivered only when the peer has a native XDP program
      // (drivers/net/veth.c: veth_xdp_xmit drops frames for a peer whose receive queue has no
      // NAPI, which veth enables when an XDP program is attached). An
      // AF_XDP pinger in native mode attaches its steering program to this device, which is such
      // a program: a second one on the same device would be refused (one XDP program per
      // device and mode), so the pass-through goes only in front of a socket or generic pinger.
      std::optional<XdpReflector> peer;
      if (needs_peer_pass_through(mode)) {
        peer.emplace(topo.dev_a, XdpMode::kNative, XdpReflector::Role::kPeerPassThrough,
                     params.port);
      }
      SideContext ctx{&topo, PingPongRole::kPing, params.ping.payload_len, params.port,
                      params.ping.kernel_rx_split};
      auto dp = make_side_datapath(ping_side, ctx);
      ping_mode = dp->mode();
      if (peer) ping_mode["peer_xdp"] = peer->mode();
      if (ready.wait_for(params.setup_timeout) != std::future_status::ready) {
        throw Error("the pong side of " + mode.name + " did not get ready within " +
                        std::to_string(params.setup_timeout.count()) + " s",
                    "check the namespaces and devices (copylab doctor), then retry");
      }
      ready.get();  // rethrows the pong's setup error (reported from pong_error below)
      out.ping = run_ping(*dp, params.ping, &pong_stamped);
      ping_counters = dp->counters();
      if (peer) ping_counters["peer_xdp"] = peer->counters();
    } catch (...) {
      ping_error = std::current_exception();
    }
  });

  ping.join();
  pong.join();
  if (pong_error) std::rethrow_exception(pong_error);
  if (ping_error) std::rethrow_exception(ping_error);
  out.record.ping_mode = std::move(ping_mode);
  out.record.pong_mode = std::move(pong_mode);
  out.record.ping_counters = std::move(ping_counters);
  out.record.pong_counters = std::move(pong_counters);
}

}  // namespace

OnceOutcome run_pingpong_once(const ModeSpec& mode, const TopologyConfig& topo,
                              const RunParams& params) {
  OnceOutcome out(params.ping.significant_digits);
  if (uses_dpdk(mode)) {
    run_tool_sides(mode, topo, params, out);
  } else {
    run_thread_sides(mode, topo, params, out);
  }

  LatencyRun& rec = out.record;
  rec.rtt = summarize(out.ping.rtt);
  rec.rtt_corrected = summarize(out.ping.rtt_corrected);
  rec.one_way = summarize(out.pong.one_way);
  rec.one_way_split = summarize(out.pong.one_way_split);
  rec.rtt_split = summarize(out.ping.rtt_split);
  rec.packets.sent = out.ping.sent;
  rec.packets.replies = out.ping.replies;
  rec.packets.lost = out.ping.lost;
  rec.packets.stale = out.ping.stale;
  rec.packets.corrupt = out.ping.corrupt;
  rec.packets.send_failures = out.ping.send_failures;
  rec.packets.behind_schedule = out.ping.behind_schedule;
  rec.packets.pong_echoed = out.pong.echoed;
  rec.packets.pong_corrupt = out.pong.corrupt;
  rec.achieved_rate_pps = out.ping.achieved_rate_pps();
  rec.elapsed_ns = out.ping.elapsed_ns;
  rec.truncated = out.ping.truncated;
  rec.stop_reason = out.ping.stop_reason;
  rec.warmup_sent = out.ping.warmup_sent;
  rec.warmup_note = out.ping.warmup_note;
  return out;
}

nlohmann::json method_json(const LatencyOptions& opts) {
  return {
      {"clock", std::string(kClockName) + " (clock_gettime, vDSO); both sides on one host"},
      {"rtt", "ping: send_ns taken while writing the payload, just before send(); RTT = "
              "receive time of the matching echo - send_ns; one ping in flight"},
      {"one_way", "pong: user-space receive time - the ping's send_ns (same host clock); not "
                  "measured for the XDP_TX reflector (no user space on the far side)"},
      {"warmup", std::to_string(opts.warmup) +
                     " pings per run flagged kFlagWarmup and discarded; with kernel RX "
                     "timestamps on, more warm-up pings until both sides have received a "
                     "timestamped payload (at most " +
                     std::to_string(PingConfig{}.stamp_warmup_bound.count()) +
                     " ms, else warmup_note says so; warmup_sent counts them all)"},
      {"loss", "an echo later than " + std::to_string(opts.reply_timeout_ms) +
                   " ms counts as lost; later echoes count as stale"},
      {"pacing", "rate sweep: closed loop, ping i scheduled at start + i/rate, sleeping then "
                 "spinning to the due time (sockperf ping-pong --mps style)"},
      {"coordinated_omission",
       "paced runs also report rtt_corrected: HdrHistogram recordValueWithExpectedInterval "
       "(for RTT > interval, synthetic samples RTT - k*interval, k=1,2,... while >= interval)"},
      {"kernel_rx_split",
       opts.rx_timestamps
           ? "socket receivers: SO_TIMESTAMPING software RX (SOF_TIMESTAMPING_RX_SOFTWARE|"
             "SOF_TIMESTAMPING_SOFTWARE), SCM_TIMESTAMPING ts[0] per datagram from recvmsg/"
             "recvmmsg; " + software_rx_timestamp_point_text() +
                 ". one_way_split: ping send_ns -> pong kernel RX (sender stack + veth + receive "
                 "path up to the timestamp) and kernel RX -> pong user receive (rest of the "
                 "receive path, socket queue, wakeup, COPY #4); rtt_split: the same at the ping "
                 "for the echo. " + clock_conversion_method("CLOCK_REALTIME") +
                 ". A sample whose timestamp falls outside [send - u, receive + u] is counted "
                 "(outside_bracket) and not split. The kernel switches software RX "
                 "timestamping on asynchronously (net_enable_timestamp defers netstamp_needed_key "
                 "to a workqueue), so each side asks as it is built, before it reports ready, and "
                 "the warm-up lasts until both sides have received a timestamped payload; a "
                 "sample still without one is counted as missing_timestamp, never split. AF_XDP receivers: the steering XDP program "
                 "stamps bpf_ktime_get_ns() (CLOCK_MONOTONIC) into the XDP metadata area "
                 "(bpf_xdp_adjust_meta) of each steered frame; copy mode copies it into the UMEM "
                 "frame in front of the packet, where the datapath reads (and clears) it. That "
                 "point is the XDP hook of the receiving device (native: the receiving veth's "
                 "NAPI poll, veth_xdp_rcv, after the sender's veth_xmit queued the frame on its "
                 "ptr_ring and the softirq ran; generic: netif_receive_skb -> do_xdp_generic, "
                 "after the backlog queue), LATER than the socket's software RX timestamp "
                 "(netif_rx_internal inside the sender's veth_xmit, before any queue): "
                 "'-> kernel RX' of an AF_XDP mode includes the softirq scheduling that a socket "
                 "mode counts in 'kernel RX -> user'; the two splits end at different points and "
                 "must not be compared as the same quantity. " +
                 clock_conversion_method("CLOCK_MONOTONIC") +
                 ". Frames without the stamp (steered before the switch was on) count as "
                 "missing_timestamp. The XDP_TX reflector's side: not measured (no user space)"
           : std::string("off (--no-rx-timestamps): no split measured")},
      {"histogram", "log-linear (HdrHistogram layout), " + std::to_string(opts.digits) +
                        " significant digits: relative error <= 1e-" +
                        std::to_string(opts.digits)},
      {"repetitions", std::to_string(opts.reps) +
                          " per configuration, interleaved across configurations; headline = "
                          "median of the runs' values, with min/max across runs"},
      {"sockets", "UDP sockets connected to the peer, one datagram per sendto/recvfrom, bound "
                  "to the experiment's veth"},
      {"af_xdp", "copy mode on veth (queue 0), 16-descriptor batches; the pong echoes in place in "
                 "the same UMEM frame (headers swapped, checksums recomputed)"},
      {"xdp_tx", "reflect.bpf.c swaps MAC/IP/ports and sets the UDP checksum to 0 (socket "
                 "senders leave CHECKSUM_PARTIAL frames); the peer veth gets a native "
                 "pass-through program because XDP_TX into a veth needs one"},
      {"dpdk", "dpdk-spin: each side is dpdk_pingpong in its own process and namespace (the "
               "EAL starts once per process; file prefix copylab-<pid>-<start time>), DPDK's "
               "net_af_xdp PMD on queue 0 with busy_budget=0, busy-polling rte_eth_rx_burst; "
               "frames built in mbufs of the pool the PMD uses as its UMEM; the pong reflects "
               "each frame in place in its mbuf; its histograms come back as JSON; no kernel RX "
               "timestamp reaches an mbuf (split not measured)"},
      {"pinning", "ping thread on CPU " + std::to_string(opts.cpu_ping) + ", pong thread on CPU " +
                      std::to_string(opts.cpu_pong)},
  };
}

LatencyResults run_experiment(const LatencyPlan& plan, const LatencyOptions& opts,
                              const TopologyConfig& topo, const ProgressFn& progress) {
  LatencyResults results;
  results.modes = plan.modes;
  results.base_size = plan.sizes.front();

  // Every configuration: base size unpaced, the size sweep unpaced, the rate sweep at base size.
  for (const auto& m : plan.modes) {
    for (std::size_t s : plan.sizes) {
      ConfigResult c(opts.digits);
      c.mode = m.name;
      c.payload_bytes = s;
      c.one_way_measured = !uses_reflector(m);
      results.configs.push_back(std::move(c));
    }
    for (double r : plan.rates) {
      ConfigResult c(opts.digits);
      c.mode = m.name;
      c.payload_bytes = plan.sizes.front();
      c.rate_pps = r;
      c.one_way_measured = !uses_reflector(m);
      results.configs.push_back(std::move(c));
    }
  }
  auto spec_of = [&](const std::string& name) -> const ModeSpec& {
    for (const auto& m : plan.modes) {
      if (m.name == name) return m;
    }
    throw Error("internal: unknown mode " + name);
  };

  const std::size_t total = results.configs.size() * static_cast<std::size_t>(opts.reps);
  std::size_t k = 0;
  for (int rep = 1; rep <= opts.reps && !stop_requested(); ++rep) {
    for (auto& c : results.configs) {
      if (stop_requested()) break;
      ++k;
      if (!c.error.empty()) continue;
      const RunParams p = run_params_for(opts, c.payload_bytes, c.rate_pps);
      std::string label = c.mode + " " + std::to_string(c.payload_bytes) + " B " +
                          (c.rate_pps > 0 ? std::to_string(static_cast<long>(c.rate_pps)) + " pps"
                                          : std::string("back-to-back")) +
                          " rep " + std::to_string(rep) + "/" + std::to_string(opts.reps);
      try {
        OnceOutcome once = run_pingpong_once(spec_of(c.mode), topo, p);
        once.record.rep = rep;
        c.rtt_all.merge(once.ping.rtt);
        c.rtt_corrected_all.merge(once.ping.rtt_corrected);
        c.one_way_all.merge(once.pong.one_way);
        c.one_way_split.add_run(once.pong.one_way_split);
        c.rtt_split.add_run(once.ping.rtt_split);
        if (progress) {
          progress("[" + std::to_string(k) + "/" + std::to_string(total) + "] " + label +
                   ": RTT p50 " + fmt_us(once.record.rtt.p50) + " µs, p99 " +
                   fmt_us(once.record.rtt.p99) + " µs, lost " +
                   std::to_string(once.record.packets.lost) +
                   (once.record.truncated ? " (" + once.record.stop_reason + ")" : "") +
                   (once.record.warmup_note.empty() ? "" : "; " + once.record.warmup_note));
        }
        c.runs.push_back(std::move(once.record));
      } catch (const Error& e) {
        c.error = e.one_line();
        if (progress) {
          progress("[" + std::to_string(k) + "/" + std::to_string(total) + "] " + label +
                   ": FAILED: " + c.error);
        }
      }
    }
  }
  for (auto& c : results.configs) c.finish();
  return results;
}

}  // namespace copylab

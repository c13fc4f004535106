#include "harness/forward_runner.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/ready_file.hpp"
#include "evidence/cross_check.hpp"
#include "evidence/scope.hpp"

namespace copylab {
namespace {

using Count = std::optional<long long>;

Count as_count(std::optional<std::uint64_t> v) {
  return v ? Count(static_cast<long long>(*v)) : std::nullopt;
}

// A count from the forwarder's JSON (nullopt when it did not write it).
Count doc_count(const nlohmann::json& doc, const nlohmann::json::json_pointer& at) {
  if (!doc.contains(at) || !doc.at(at).is_number()) return std::nullopt;
  return doc.at(at).get<long long>();
}

// The cross-check scoped to M: socket events of M's sockets by the experiment's processes (the
// relay's COPY #4 and COPY #1; the forwarder's kicks), device events of M's two devices. With
// native XDP the XSK redirects come from the ingress veth's own per-queue counter, with generic
// XDP from the skb frees that follow each redirect (as compare counts them).
class MiddleObserver final : public RunObserver {
 public:
  MiddleObserver(const TopologyConfig& topo, ForwarderKind kind, const pid_t& forwarder)
      : topo_(topo), kind_(kind), forwarder_(forwarder) {}

  void before_traffic(pid_t receiver, pid_t sender) override {
    trace::CrossCheckOptions o = trace::cross_check_options(trace::CheckTier::kLedger);
    if (kind_ == ForwarderKind::kXskNative)
      o.redirect_counter_device = trace::CounterDevice{topo_.ns_m, topo_.dev_ma};
    else if (kind_ == ForwarderKind::kXskGeneric)
      o.redirect_from_generic_frees = true;
    trace::ScopeSpec s;
    s.netns_inums = {trace::named_netns_inode(topo_.ns_m)};
    // A's and B's sockets are outside M's namespace: the pids add only their syscall counts.
    s.pids = {forwarder_, sender, receiver};
    s.follow_forks = false;
    sender_ = sender;
    receiver_ = receiver;
    check_ = std::make_unique<trace::CrossCheck>(o);
    check_->start(s);
  }

  RunEvidence after_traffic() override {
    if (!check_) return {};
    return stop_trace_run(check_, sender_, receiver_);
  }

 private:
  TopologyConfig topo_;
  ForwarderKind kind_;
  const pid_t& forwarder_;  // set by the middle box's start, before the sender is ready
  pid_t sender_ = 0, receiver_ = 0;
  std::unique_ptr<trace::CrossCheck> check_;
};

// The frames the forwarder's own counters say it took in: the relay's datagrams received, the
// AF_XDP forwarder's descriptors read from its RX ring.
Count taken_in(const ForwardRecord& r) {
  return doc_count(r.forwarder_doc, nlohmann::json::json_pointer(
                                        is_xsk(r.kind) ? "/counters/rx_frames" : "/counters/received"));
}

// The traffic options of a run through M, with B's receiver's policy (receiver_sched_fifo).
CompareOptions with_receiver_fifo(const ForwardOptions& o, const PhaseSpec& phase) {
  CompareOptions c = o.traffic;
  c.rx_sched_fifo = receiver_sched_fifo(o.sched_fifo, phase);
  return c;
}

// compare's loss row puts every lost frame in B's socket buffer; with a middle box they are lost
// in M or after it, each where its own counter says (loss_checks).
constexpr std::string_view kCompareLossRow = "lost = Udp RcvbufErrors";

// Where the frames A sent and B did not receive went: dropped in M (the relay's ingress socket
// buffer: M's Udp RcvbufErrors; the forwarder's first socket: XDP_STATISTICS rx_ring_full +
// rx_dropped) or after M (B's socket buffer).
void loss_checks(ForwardRecord& r) {
  auto& checks = r.run.checks;
  checks.erase(std::remove_if(checks.begin(), checks.end(),
                              [](const CheckRow& c) { return c.name.starts_with(kCompareLossRow); }),
               checks.end());
  const Count sent = r.run.counts.sender.sent;
  const Count received = r.run.counts.receiver.received;
  const auto fwd = static_cast<long long>(r.forwarded);
  Count m_drops;
  std::string source;
  if (is_xsk(r.kind)) {
    const auto at = [&](const char* key) {
      return doc_count(r.forwarder_doc,
                       nlohmann::json::json_pointer(std::string("/counters/xdp_statistics_in/") + key));
    };
    const Count full = at("rx_ring_full"), dropped = at("rx_dropped");
    if (full && dropped) m_drops = *full + *dropped;
    source = "first socket's XDP_STATISTICS (rx_ring_full + rx_dropped)";
  } else {
    m_drops = r.m_in.udp.rcvbuf_errors;
    source = "Udp RcvbufErrors in M (/proc/net/snmp)";
  }
  r.m_checks.push_back({"lost in M (sent by A - forwarded) = M's drops",
                        sent ? Count(*sent - fwd) : std::nullopt, m_drops, source,
                        "where the middle box drops when A outruns it"});
  r.m_checks.push_back({"lost after M (forwarded - received in B) = B's Udp RcvbufErrors",
                        received ? Count(fwd - *received) : std::nullopt,
                        r.run.counts.kernel.b.udp.rcvbuf_errors, "/proc/net/snmp in B",
                        "B's socket buffer overflowing"});
}

void add_checks(ForwardRecord& r) {
  loss_checks(r);
  const std::string src_udp = "UDP MIB in M (/proc/net/snmp)";
  const std::string src_link = "link stats of " + std::string("M's egress device");
  auto& c = r.m_checks;
  const Count fwd = static_cast<long long>(r.forwarded);
  c.push_back({"COPY #4 in M (sock_recv_length AF_INET) = M's UDP InDatagrams",
               r.m_in.udp.in_datagrams, as_count(r.copy4), src_udp,
               "every datagram a socket in M took in was copied out to user space"});
  c.push_back({"COPY #1 in M (sock_send_length AF_INET) = M's UDP OutDatagrams",
               r.m_in.udp.out_datagrams, as_count(r.copy1), src_udp,
               "every datagram a socket in M sent was copied in from user space"});
  if (r.kind == ForwarderKind::kRelay) {
    c.push_back({"COPY #4 in M = datagrams the relay received", taken_in(r), as_count(r.copy4),
                 "sock_forwarder's counters", "recvmmsg: one kernel->user copy per datagram"});
    c.push_back({"COPY #1 in M = datagrams the relay forwarded", fwd, as_count(r.copy1),
                 "sock_forwarder's counters", "sendmmsg: one user->kernel copy per datagram"});
    c.push_back({"M's egress tx_packets = datagrams the relay forwarded", fwd,
                 r.m_out.link.tx_packets, src_link, ""});
    return;
  }
  c.push_back({"COPY #4 in M = 0 (the forwarder reads RX descriptors)", 0, as_count(r.copy4),
               "cross-check ledger", "no kernel->user copy of any payload"});
  c.push_back({"COPY #1 in M = 0 (the forwarder posts TX descriptors)", 0, as_count(r.copy1),
               "cross-check ledger", "no user->kernel copy of any payload"});
  c.push_back({"XSK redirects on M's ingress = frames read from the RX ring", taken_in(r),
               as_count(r.xsk_redirects),
               r.kind == ForwarderKind::kXskNative ? "veth rx_queue_0_xdp_redirect (ethtool -S)"
                                                   : "skb frees in xdp_do_generic_redirect",
               "each redirect into the socket is one frame on its RX ring"});
  c.push_back({"M's egress tx_packets = TX completions of the second socket",
               doc_count(r.forwarder_doc, nlohmann::json::json_pointer("/counters/tx_completions")),
               r.m_out.link.tx_packets, src_link, "each completed TX descriptor left the device"});
  c.push_back({"second socket's XDP_STATISTICS tx_invalid_descs = 0", 0,
               doc_count(r.forwarder_doc,
                         nlohmann::json::json_pointer("/counters/xdp_statistics_out/tx_invalid_descs")),
               "XDP_STATISTICS", "every descriptor the forwarder posted was valid"});
}

void add_moved(ForwardRecord& r) {
  if (!is_xsk(r.kind)) return;
  const nlohmann::json& mode = r.forwarder_doc.value("mode", nlohmann::json::object());
  if (mode.value("bind", "") != "copy") return;
  if (r.xsk_redirects) {
    r.moved.push_back({"xdp_buff -> UMEM (__xsk_rcv, copy mode)", *r.xsk_redirects,
                       "XSK redirects on M's ingress"});
  }
  if (const Count done =
          doc_count(r.forwarder_doc, nlohmann::json::json_pointer("/counters/tx_completions"))) {
    r.moved.push_back({"UMEM -> skb (skb_store_bits in __xsk_generic_xmit, copy mode)",
                       static_cast<std::uint64_t>(*done), "TX completions of the second socket"});
  }
}

}  // namespace

int receiver_sched_fifo(int forwarder_priority, const PhaseSpec& phase) {
  return phase.rate_pps > 0 ? forwarder_priority : 0;
}

std::vector<std::string> forwarder_argv(const TopologyConfig& t, ForwarderKind kind,
                                        const ForwardOptions& o, const std::string& json,
                                        const std::string& ready,
                                        std::optional<std::uint16_t> back_port) {
  std::vector<std::string> a{"ip", "netns", "exec", t.ns_m,
                             self_bin_dir() + "/" + forwarder_tool(kind), "--in-dev", t.dev_ma,
                             "--out-dev", t.dev_mb, "--dst-port",
                             std::to_string(o.traffic.dst_port)};
  if (kind == ForwarderKind::kRelay) {
    a.insert(a.end(), {"--listen-ip", t.ip_ma.str(), "--listen-port",
                       std::to_string(o.traffic.dst_port), "--dst-ip", t.ip_b.str(), "--rcvbuf",
                       std::to_string(o.relay_rcvbuf)});
  } else {
    a.insert(a.end(), {"--dst-mac", t.mac_b.str(), "--mode",
                       kind == ForwarderKind::kXskNative ? "native" : "generic", "--ring-size",
                       std::to_string(o.ring_size), "--frame-count",
                       std::to_string(o.frame_count)});
  }
  if (back_port && kind == ForwarderKind::kRelay) {
    a.insert(a.end(), {"--two-way", "--src-port", std::to_string(*back_port), "--back-dst-ip",
                       t.ip_a.str(), "--back-dst-port", std::to_string(*back_port)});
  } else if (back_port) {
    a.insert(a.end(), {"--two-way", "--back-dst-mac", t.mac_a.str(), "--back-dst-port",
                       std::to_string(*back_port)});
  }
  // poll(2) rather than spinning: M shares its CPU with B's receiver on a small machine (and a
  // spinning SCHED_FIFO forwarder would keep it from B; the tools refuse that pair).
  a.insert(a.end(), {"--wait", "poll", "--sched-fifo",
                     std::to_string(o.sched_fifo), "--cpu", std::to_string(o.cpu_m),
                     "--no-per-second", "--json", json, "--ready-file", ready});
  return a;
}

ForwardRecord run_forward_phase(const TopologyConfig& topo, ForwarderKind kind,
                                const PhaseSpec& phase, const ForwardOptions& opts,
                                const std::string& work_dir, bool cross_check,
                                const std::function<void(const std::string&)>& progress) {
  ForwardRecord rec;
  rec.kind = kind;
  const std::string stem = work_dir + "/" + to_string(kind) + "-" + phase.name + ".forwarder";
  const std::string json = stem + ".json", ready = stem + ".ready", done = stem + ".done";
  for (const auto& f : {json, ready, done}) std::filesystem::remove(f);

  pid_t forwarder_pid = 0;
  std::optional<ChildProcess> forwarder;
  KernelCounters in_before, out_before;
  int forwarder_rc = -1;
  MiddleBox box;
  box.tag = to_string(kind);
  box.sender_topology = topo;
  box.sender_topology.mac_b = topo.mac_ma;  // A addresses M's ingress ...
  if (kind == ForwarderKind::kRelay) box.sender_topology.ip_b = topo.ip_ma;  // ... the relay's IP
  box.start = [&] {
    in_before = read_kernel_counters(topo.ns_m, topo.dev_ma);
    out_before = read_kernel_counters(topo.ns_m, topo.dev_mb);
    std::vector<std::string> argv = forwarder_argv(topo, kind, opts, json, ready);
    argv.insert(argv.end(), {"--stop-after-file", done, "--drain", fmt::format("{}", kDrainQuietS)});
    forwarder.emplace(ChildProcess::start(argv, stem + ".log"));
    wait_for_ready_file(ready, *forwarder, std::chrono::seconds(30));
    forwarder_pid = forwarder->pid();
  };
  box.stop = [&] {
    // The sender has finished: M forwards what it still holds until its ingress has been quiet
    // for the drain period, then exits (bounded by ten periods and its one-second finish).
    std::ofstream(done) << "done\n";
    auto rc = forwarder->wait_for(std::chrono::seconds(30));
    if (!rc) {
      forwarder->signal(SIGINT);
      rc = forwarder->wait_for(std::chrono::seconds(10));
    }
    forwarder_rc = rc ? *rc : forwarder->stop();
    rec.m_in = counters_delta(in_before, read_kernel_counters(topo.ns_m, topo.dev_ma));
    rec.m_out = counters_delta(out_before, read_kernel_counters(topo.ns_m, topo.dev_mb));
  };
  MiddleObserver observer(topo, kind, forwarder_pid);
  rec.run = run_compare_phase(topo, forward_pair(), phase, with_receiver_fifo(opts, phase), work_dir,
                              cross_check ? &observer : nullptr, progress, &box);
  if (forwarder_rc != 0 && forwarder_rc != 128 + SIGINT) {
    throw Error(std::string(forwarder_tool(kind)) + " exited with " +
                    std::to_string(forwarder_rc) + ": " + last_line_of(stem + ".log"),
                "see " + stem + ".log");
  }
  std::ifstream f(json);
  if (!f) {
    throw Error(std::string(forwarder_tool(kind)) + " wrote no result (" +
                    last_line_of(stem + ".log") + ")",
                "see its log " + stem + ".log");
  }
  rec.forwarder_doc = nlohmann::json::parse(f);
  rec.forwarded = rec.forwarder_doc["result"].value("forwarded", std::uint64_t{0});
  rec.forwarded_pps = rec.forwarder_doc["result"].value("pps", 0.0);
  rec.sched = rec.forwarder_doc.value("sched", nlohmann::json());
  rec.sched_b = rec.run.receiver_doc.value("sched", nlohmann::json());
  if (rec.forwarded > 0 && rec.forwarder_doc.contains("cpu")) {
    const auto& cpu = rec.forwarder_doc["cpu"];
    rec.cpu_ns_per_packet = (cpu.value("user_s", 0.0) + cpu.value("system_s", 0.0)) * 1e9 /
                            static_cast<double>(rec.forwarded);
  }
  if (const auto* ev = std::get_if<TraceRunEvidence>(&rec.run.evidence)) {
    const trace::CopyLedger& l = ev->result.ledger;
    const auto line = [&](std::string_view id) -> std::optional<std::uint64_t> {
      return l.available(id) ? std::optional(l.count(id)) : std::nullopt;
    };
    rec.copy1 = line(trace::ledger_id::kCopy1);
    rec.copy4 = line(trace::ledger_id::kCopy4);
    if (is_xsk(kind)) rec.xsk_redirects = line(trace::ledger_id::kXdpRedirectXsk);
    rec.forwarder_syscalls = syscall_tally(l, forwarder_pid);
  }
  add_checks(rec);
  add_moved(rec);
  return rec;
}

nlohmann::json to_json(const MovedCopy& m) {
  return {{"what", m.what}, {"count", m.count}, {"source", m.source}};
}

nlohmann::json to_json(const ForwardRecord& r) {
  const auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json moved = nlohmann::json::array();
  for (const MovedCopy& m : r.moved) moved.push_back(to_json(m));
  return {{"forwarder", to_string(r.kind)},
          {"forwarded", r.forwarded},
          {"forwarded_pps", r.forwarded_pps},
          {"cpu_ns_per_packet", opt(r.cpu_ns_per_packet)},
          {"sched_m", r.sched},
          {"sched_b", r.sched_b},
          {"one_way_p50_us", opt(r.run.counts.receiver.one_way_p50_us)},
          {"one_way_p99_us", opt(r.run.counts.receiver.one_way_p99_us)},
          {"ledger_m", {{"copy1_user_to_kernel", opt(r.copy1)},
                        {"copy4_kernel_to_user", opt(r.copy4)},
                        {"xdp_redirect_xskmap", opt(r.xsk_redirects)}}},
          {"moved_kernel_copies", moved},
          {"kernel_counters_m", {{"ingress", to_json(r.m_in)}, {"egress", to_json(r.m_out)}}},
          {"checks_m", to_json(r.m_checks)},
          {"forwarder_syscalls", to_json(r.forwarder_syscalls)},
          {"forwarder_tool", r.forwarder_doc},
          {"run", to_json(r.run)}};
}

}  // namespace copylab

#include "harness/compare_runner.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/child_process.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/ready_file.hpp"
#include "common/stop.hpp"
#include "harness/compare_caveats.hpp"
#include "evidence/kernel_counters.hpp"
#include "pathspec/tool_argv.hpp"

namespace copylab {
namespace {

// How long a phase should take: its pacing, or a conservative 50 kpps when unpaced. Every bound
// on the run (the harness's waits on the sender and the receiver) is a multiple of it.
double expected_seconds(const PhaseSpec& phase) {
  return static_cast<double>(phase.count) / (phase.rate_pps > 0 ? phase.rate_pps : 50'000.0);
}

// The harness's bound on the sender: four times the expected time (a busy machine may carry a
// quarter of the rate) plus its start-up.
double sender_bound_s(const PhaseSpec& phase) { return expected_seconds(phase) * 4 + 60; }

// The harness's bound on the receiver once the sender has finished: the receiver stops when all
// frames are in or after its drain (at most ten quiet periods), so this is a bound for a hung
// receiver only. The receiver gets no --duration of its own: its clock would start before the
// sender's set-up and the observer's attach, which on a loaded machine (a TCG guest with BPF
// kprobes to attach) took over 100 s, and it left before the traffic began. A harness that dies
// takes the receiver with it (parent-death signal).
double receiver_bound_s(const PhaseSpec& phase) { return sender_bound_s(phase) + 90; }

// The DPDK receiver's RX ring: the largest dpdk_receiver takes (--ring-size 64..4096).
constexpr std::uint32_t kDpdkRxRing = 4096;

std::vector<std::string> receiver_args(const TopologyConfig& t, const PairSpec& pair,
                                       const PhaseSpec& phase, const CompareOptions& o,
                                       const std::string& json, const std::string& ready,
                                       const std::string& sender_done) {
  ToolLaunch l;
  l.path = receiver_path(pair, o);
  l.role = ToolRole::kReceiver;
  l.dst_port = o.dst_port;
  l.size = o.payload_size;
  l.count = phase.count;
  l.stop_after_file = sender_done;
  l.drain_s = kDrainQuietS;
  l.per_second = false;
  l.sched_fifo = o.rx_sched_fifo;
  if (l.path.af_xdp()) {
    l.ring_size = o.rx_ring_size;
    l.frame_count = o.rx_frame_count;
  }
  if (l.path.dpdk()) {
    // The PMD's largest ring, and mbufs for it, the TX ring and the PMD's 2048 fill buffers
    // (dpdk_receiver's --mbufs check) with room to spare.
    l.ring_size = kDpdkRxRing;
    l.mbufs = 4 * kDpdkRxRing;
  }
  l.json_file = json;
  l.ready_file = ready;
  return tool_argv(t, l, self_bin_dir());
}

std::vector<std::string> sender_args(const TopologyConfig& t, const PairSpec& pair,
                                     const PhaseSpec& phase, const CompareOptions& o,
                                     const std::string& json, const std::string& ready,
                                     const std::string& go) {
  ToolLaunch l;
  l.path = sender_path(pair, o);
  l.role = ToolRole::kSender;
  l.src_port = o.src_port;
  l.dst_port = o.dst_port;
  l.size = o.payload_size;
  l.count = phase.count;
  l.rate_pps = phase.rate_pps;
  l.json_file = json;
  l.ready_file = ready;
  l.start_after_file = go;
  return tool_argv(t, l, self_bin_dir());
}

nlohmann::json read_json_file(const std::string& path, const ChildProcess& who) {
  std::ifstream f(path);
  if (!f) {
    throw Error(who.command_line() + " wrote no result (" + last_line_of(who.log_path()) + ")",
                "see its log " + who.log_path());
  }
  return nlohmann::json::parse(f);
}

int wait_child(ChildProcess& child, double timeout_s, const std::string& what,
               const std::function<void(const std::string&)>& progress) {
  const std::uint64_t start = now_ns();
  while (true) {
    if (auto rc = child.wait_for(std::chrono::milliseconds(1000))) return *rc;
    if (stop_requested()) throw Error("interrupted", "", stop_exit_code());
    const double elapsed = static_cast<double>(now_ns() - start) * 1e-9;
    if (elapsed > timeout_s) {
      child.stop();
      throw Error(what + " did not finish within " + std::to_string(static_cast<int>(timeout_s)) +
                      " s",
                  "see its log " + child.log_path());
    }
    if (progress) progress(what + " running, " + std::to_string(static_cast<int>(elapsed)) + " s");
  }
}

}  // namespace

RunRecord run_compare_phase(const TopologyConfig& topo, const PairSpec& pair,
                            const PhaseSpec& phase, const CompareOptions& opts,
                            const std::string& work_dir, RunObserver* observer,
                            const std::function<void(const std::string&)>& progress,
                            const MiddleBox* middle) {
  RunRecord rec{pair, phase, {}, {}, {}, {}, {}, std::nullopt, std::nullopt, 0};
  // DPDK's net_af_xdp PMD sends and receives through an AF_XDP socket: to the kernel's counters
  // a DPDK side is an AF_XDP side.
  rec.counts.af_xdp_tx = pair.tx != PathKind::kSocket;
  rec.counts.af_xdp_rx = pair.rx != PathKind::kSocket;
  rec.counts.asked = phase.count;
  const std::string stem = work_dir + "/" + (middle ? middle->tag + "-" : std::string()) +
                           std::string(to_string(pair.tx)) + "-" +
                           to_string(pair.rx) + "-" + phase.name;
  const std::string rx_json = stem + ".receiver.json", tx_json = stem + ".sender.json";
  const std::string rx_ready = stem + ".receiver.ready", tx_ready = stem + ".sender.ready";
  const std::string go = stem + ".go", sender_done = stem + ".sender.done";
  for (const auto& f : {rx_json, tx_json, rx_ready, tx_ready, go, sender_done}) {
    std::filesystem::remove(f);
  }

  const KernelCounters a_before = read_kernel_counters(topo.ns_a, topo.dev_a);
  const KernelCounters b_before = read_kernel_counters(topo.ns_b, topo.dev_b);
  const std::uint64_t start = now_ns();

  ChildProcess receiver = ChildProcess::start(
      receiver_args(topo, pair, phase, opts, rx_json, rx_ready, sender_done),
      stem + ".receiver.log");
  wait_for_ready_file(rx_ready, receiver, std::chrono::seconds(30));
  if (middle != nullptr) middle->start();
  ChildProcess sender = ChildProcess::start(
      sender_args(middle ? middle->sender_topology : topo, pair, phase, opts, tx_json, tx_ready, go), stem + ".sender.log");
  // The sender sets up its datapath, then waits for `go`: the observer scopes to both pids first.
  wait_for_ready_file(tx_ready, sender, std::chrono::seconds(30));
  if (observer != nullptr) observer->before_traffic(receiver.pid(), sender.pid());
  std::ofstream(go) << "go\n";

  const int tx_rc = wait_child(sender, sender_bound_s(phase), "sender", progress);
  // Stage by stage: a middle box drains and exits first, then the receiver drains what is still
  // on its way and exits (it never stops on a gap while the stages before it run). Told even when
  // the sender failed, so the receiver exits promptly.
  if (middle != nullptr) middle->stop();
  std::ofstream(sender_done) << "done\n";
  const int rx_rc = wait_child(receiver, receiver_bound_s(phase), "receiver", progress);
  rec.wall_s = static_cast<double>(now_ns() - start) * 1e-9;
  if (observer != nullptr) rec.evidence = observer->after_traffic();
  if (tx_rc != 0) {
    throw Error("sender exited with " + std::to_string(tx_rc) + ": " +
                    last_line_of(sender.log_path()),
                "see " + sender.log_path());
  }
  if (rx_rc != 0) {
    throw Error("receiver exited with " + std::to_string(rx_rc) + ": " +
                    last_line_of(receiver.log_path()),
                "see " + receiver.log_path());
  }
  // Each tool's result is read into fields here, once: the checks below read fields only.
  rec.sender_doc = read_json_file(tx_json, sender);
  rec.receiver_doc = read_json_file(rx_json, receiver);
  rec.counts.sender = parse_tool_result(rec.sender_doc, tx_json);
  rec.counts.receiver = parse_tool_result(rec.receiver_doc, rx_json);
  rec.counts.kernel = {counters_delta(a_before, read_kernel_counters(topo.ns_a, topo.dev_a)),
                       counters_delta(b_before, read_kernel_counters(topo.ns_b, topo.dev_b))};
  rec.checks = cross_checks(rec.counts);
  rec.loss = explain_loss(rec.counts);
  return rec;
}

std::optional<double> OverheadCalibration::pps_ratio() const {
  if (!pps_with || !pps_without || *pps_without <= 0) return std::nullopt;
  return *pps_with / *pps_without;
}

std::optional<double> OverheadCalibration::p50_ratio() const {
  if (!one_way_p50_us_with || !one_way_p50_us_without || *one_way_p50_us_without <= 0)
    return std::nullopt;
  return *one_way_p50_us_with / *one_way_p50_us_without;
}

void calibrate_overhead(RunRecord& r, const RunRecord& bare) {
  OverheadCalibration c;
  c.pps_without = bare.counts.receiver.pps;
  c.pps_with = r.counts.receiver.pps;
  c.one_way_p50_us_without = bare.counts.receiver.one_way_p50_us;
  c.one_way_p50_us_with = r.counts.receiver.one_way_p50_us;
  r.overhead = c;
}

nlohmann::json to_json(const OverheadCalibration& c) {
  const auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"received_pps_without", opt(c.pps_without)},
          {"received_pps_with", opt(c.pps_with)},
          {"pps_ratio", opt(c.pps_ratio())},
          {"one_way_p50_us_without", opt(c.one_way_p50_us_without)},
          {"one_way_p50_us_with", opt(c.one_way_p50_us_with)},
          {"one_way_p50_ratio", opt(c.p50_ratio())}};
}

nlohmann::json to_json(const RunRecord& r) {
  return {{"pair", r.pair.label()},
          {"tx_path", to_string(r.pair.tx)},
          {"rx_path", to_string(r.pair.rx)},
          {"zero_copy_requested", r.pair.zero_copy},
          {"phase", r.phase.name},
          {"count", r.phase.count},
          {"rate_pps", r.phase.rate_pps},
          {"wall_s", r.wall_s},
          {"sender", r.sender_doc},
          {"receiver", r.receiver_doc},
          {"kernel_counters", to_json(r.counts.kernel)},
          {"pacing", to_json(pacing_of(r.phase.rate_pps, r.counts.sender.pps))},
          {"checks", to_json(r.checks)},
          {"loss_accounting", r.loss ? to_json(*r.loss) : nlohmann::json(nullptr)},
          {"copy_evidence", to_json(r.evidence)},
          {"cross_check_overhead", r.overhead ? to_json(*r.overhead) : nlohmann::json(nullptr)}};
}

}  // namespace copylab

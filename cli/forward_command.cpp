#include "cli/forward_command.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <iostream>
#include <memory>

#include "cli/option_checks.hpp"
#include "cli/sched_fifo.hpp"
#include "cli/work_dir.hpp"
#include "common/child_process.hpp"
#include "common/cli_checks.hpp"
#include "common/cpu.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "common/privilege.hpp"
#include "harness/compare_caveats.hpp"
#include "harness/forward_latency.hpp"
#include "harness/forward_runner.hpp"
#include "latency/options.hpp"
#include "latency/sides.hpp"
#include "netns/topology.hpp"
#include "netns/topology_defaults.hpp"
#include "packet/payload_size.hpp"
#include "report/forward_latency_report.hpp"
#include "report/forward_report.hpp"

namespace copylab {
namespace {

struct ForwardCli {
  ForwardOptions opts;
  std::vector<std::string> forwarders{"relay", "xsk_native", "xsk_generic"};
  CLI::App* cmd = nullptr;
  std::vector<ModeSpec> ends;  // --latency: the ends' modes, validated
};

// The options of the throughput phases and of --latency: each refused when given with the other.
constexpr const char* kThroughputOnly[] = {"--rate", "--unpaced-count", "--no-unpaced",
                                           "--backend", "--cpu-tx", "--cpu-rx"};
constexpr const char* kLatencyOnly[] = {"--modes", "--warmup", "--reps", "--duration",
                                        "--reply-timeout", "--cpu-ping", "--cpu-pong"};

// --latency: the ends' modes and counts as `copylab latency` checks them, and what a ping-pong
// through M cannot do.
void validate_latency(ForwardCli& c) {
  ForwardOptions& o = c.opts;
  for (const char* opt : kThroughputOnly) {
    if (c.cmd->count(opt) != 0) {
      throw Error(std::string(opt) + " makes no sense with --latency (one ping in flight, no "
                                     "throughput phases, no cross-check)",
                  std::string("drop ") + opt +
                      "; --latency takes --count, --warmup, --reps, --cpu-ping, --cpu-pong",
                  kExitUsage);
    }
  }
  LatencyOptions& lo = o.latency;
  if (c.cmd->count("--count") != 0) lo.count = o.traffic.paced_count;
  lo.size = o.traffic.payload_size;
  lo.rx_timestamps = true;
  c.ends = validate(lo, online_cpu_count()).modes;
  for (const ModeSpec& m : c.ends) {
    if (uses_reflector(m)) {
      throw Error("--modes " + m.name + ": the XDP_TX reflector's echoes leave B's veth only "
                  "when its peer, M's egress device, has a native XDP program, which the relay "
                  "and the generic forwarder do not attach",
                  "pick ends with user space on both sides, e.g. --modes sock-block,sock-spin",
                  kExitUsage);
    }
  }
  if (o.traffic.dst_port == kPingPort) {
    throw Error("--dst-port " + std::to_string(kPingPort) +
                    " is the ping's own port, where M sends the echoes back",
                "pick another --dst-port (default " +
                    std::to_string(topology_defaults::kDstPort) + ")",
                kExitUsage);
  }
}

// Everything refused before a namespace, program or process exists: one line with the fix.
void validate(ForwardCli& c) {
  ForwardOptions& o = c.opts;
  if (!o.latency_mode) {
    for (const char* opt : kLatencyOnly) {
      if (c.cmd->count(opt) != 0) {
        throw Error(std::string(opt) + " is an option of --latency",
                    "add --latency, or drop " + std::string(opt), kExitUsage);
      }
    }
  }
  o.forwarders.clear();
  for (const std::string& s : c.forwarders) {
    const ForwarderKind k = parse_forwarder_kind(s);
    if (std::find(o.forwarders.begin(), o.forwarders.end(), k) != o.forwarders.end()) {
      throw Error("--forwarders names " + s + " twice", "name each forwarder once", kExitUsage);
    }
    o.forwarders.push_back(k);
  }
  if (o.latency_mode) validate_latency(c);
  require_usable_cpu("--cpu-tx", o.traffic.cpu_tx);
  require_usable_cpu("--cpu-m", o.cpu_m);
  require_usable_cpu("--cpu-rx", o.traffic.cpu_rx);
  if (static_cast<double>(o.traffic.paced_count) / o.traffic.paced_rate > kMaxSeconds) {
    throw Error("--count " + std::to_string(o.traffic.paced_count) + " at --rate " +
                    fmt::format("{:g}", o.traffic.paced_rate) + " would run for more than a week",
                "lower --count or raise --rate", kExitUsage);
  }
  for (const auto& [option, value] :
       {std::pair{"--ring-size", o.ring_size}, std::pair{"--frame-count", o.frame_count}}) {
    if (!std::has_single_bit(value)) {
      throw Error(std::string(option) + " " + std::to_string(value) + " is not a power of two",
                  std::string("give a power of two, e.g. ") + option + " 8192", kExitUsage);
    }
  }
  if (o.frame_count < 2 * o.ring_size) {
    throw Error("--frame-count " + std::to_string(o.frame_count) + " is below twice --ring-size " +
                    std::to_string(o.ring_size) +
                    ": the forwarder's fill ring and its TX ring each hold up to --ring-size frames",
                "raise --frame-count to " + std::to_string(2 * o.ring_size) + " or more",
                kExitUsage);
  }
  const std::string& b = o.traffic.backend;
  if (b != "auto" && b != "bpf" && b != "none") {
    throw Error("--backend " + b + " is not one of auto, bpf, none",
                "pick one (the kprobe module is compare's only)", kExitUsage);
  }
  // Both veth pairs of the topology get veth's default MTU.
  check_payload_fits_mtu(o.traffic.payload_size, topology_defaults::kMtu,
                         "the veth pairs forward makes", "lower --size");
}

std::vector<std::string> notes_for(const ForwardOutcome& o) {
  std::vector<std::string> n{
      "Identical traffic for every forwarder: xdp_sender in A (full checksums, which the AF_XDP "
      "forwarder leaves as they are), sock_receiver in B, same payload, ports, count and pacing. "
      "The relay terminates UDP (A addresses M's ingress address); the AF_XDP forwarder rewrites "
      "the Ethernet addresses only.",
      "CPU in M is the forwarder process's own CPU time from ready to exit over the frames it "
      "forwarded. On veth a transmit runs the peer's receive inside the sending call, so it "
      "includes B's receive of what M sends and excludes M's own receive (run in A's sender).",
      "One-way latency is A's send timestamp in the payload to B's receiver loop, through M, "
      "under the run's own load (queueing included).",
      "Moved, not gone: on veth AF_XDP runs in copy mode, so the kernel copies each frame "
      "xdp_buff -> UMEM on receive (__xsk_rcv) and UMEM -> skb on transmit (skb_store_bits in "
      "__xsk_generic_xmit); what disappears is the relay's two user copies (COPY #4 recvmmsg, "
      "COPY #1 sendmmsg)."};
  if (o.cross_check.attached) {
    n.push_back("Cross-check in M: " + o.cross_check.backend + ".");
  } else {
    n.push_back("No copy ledger in M: " + o.cross_check.reason +
                "; the checks against the ledger are listed as n/a.");
  }
  return n;
}

std::vector<std::string> latency_notes() {
  return {
      "Ping in A, pong in B, with the ends' latency mode; M's forwarder runs two-way: pings go "
      "A -> B on --dst-port, echoes B -> A on the ping's port. The relay terminates UDP both "
      "ways (A pings M's ingress address, B answers M's egress address); the AF_XDP forwarder "
      "steers both ports on its two devices and rewrites the Ethernet addresses only.",
      "All veth ends send full UDP checksums (TX checksum offload off): the AF_XDP forwarder "
      "passes frames on as they are, so a partial checksum from a socket end would arrive "
      "unfinished.",
      "Each repetition starts its own forwarder in M (poll(2), pinned to --cpu-m, with "
      "--sched-fifo's policy); the checks "
      "compare what it forwarded with the pings A sent and, for AF_XDP, its UMEM accounting at "
      "exit.",
      "No cross-check in M: with one ping in flight the ledger is the throughput mode's."};
}

int run_latency(ForwardCli& c, const CommonOptions& common) {
  const ForwardOptions& o = c.opts;
  WorkDir work(o.traffic, "forward-latency");
  TopologyConfig cfg = unique_forward_topology_config("fwd");
  cfg.tx_csum = "off";
  Topology topo = Topology::create(cfg);
  const TopologyConfig& t = topo.config();
  spdlog::info("forward --latency: {} ({}) <-> {} ({} <-> {}) <-> {} ({}), made for this run",
               t.ns_a, t.dev_a, t.ns_m, t.dev_ma, t.dev_mb, t.ns_b, t.dev_b);
  ForwardLatencyOutcome out;
  out.topology = t;
  out.payload_bytes = o.traffic.payload_size;
  out.options = o.latency;
  out.cpu_m = o.cpu_m;
  try {
    out.records = run_forward_latency(t, c.ends, o, work.path(),
                                      [](const std::string& msg) { spdlog::info("{}", msg); });
  } catch (const Error&) {
    work.keep();
    spdlog::info("logs kept in {}", work.path());
    throw;
  }
  out.notes = latency_notes();
  const int failed = failed_latency_checks(out.records);
  std::cout << render_forward_latency_report(out) << std::flush;
  write_json_result(common.json_file, forward_latency_document(out).dump(2) + '\n', "forward");
  if (!common.json_file.empty() && !common.json_to_stdout()) {
    spdlog::info("forward --latency: JSON written to {}", common.json_file);
  }
  if (failed != 0) {
    spdlog::error("forward --latency: {} check{} failed (see above): exit {}", failed,
                  failed == 1 ? "" : "s", kExitChecksFailed);
  }
  return failed == 0 ? 0 : kExitChecksFailed;
}

int run_forward(ForwardCli& c, const CommonOptions& common) {
  validate(c);
  const ForwardOptions& o = c.opts;
  require_capability(Privilege::kNetAdmin, "create namespaces and attach XDP programs");
  check_sched_fifo_allowed(o.sched_fifo, "--sched-fifo 0");
  // --latency pings from copylab's own threads: only the forwarders run as tools.
  const std::vector<std::string> tools =
      o.latency_mode ? std::vector<std::string>{"xdp_forwarder", "sock_forwarder"}
                     : std::vector<std::string>{"xdp_sender", "sock_receiver", "xdp_forwarder",
                                                "sock_forwarder"};
  for (const std::string& tool : tools) {
    if (access((self_bin_dir() + "/" + tool).c_str(), X_OK) != 0) {
      throw Error("copylab forward needs " + tool + " next to it in " +
                      self_bin_dir(),
                  "build the whole project (cmake --build build)");
    }
  }
  ObserverStatus status;
  const bool bpf = has_capability(Privilege::kBpf) && has_capability(Privilege::kPerfmon);
  if (o.traffic.backend == "bpf" && !bpf) require_capability(Privilege::kBpf, "load the cross-check");
  if (o.traffic.backend == "none") {
    status = {false, "", "--backend none"};
  } else if (!bpf) {
    status = {false, "", "no CAP_BPF/CAP_PERFMON to load BPF tracing programs"};
  } else {
    status = {true,
              "BPF tracepoints, exact per-event counts scoped to M's namespace (its sockets, as "
              "used by the run's processes, and its two devices); XSK redirects from the ingress "
              "veth's own counter with native XDP and from the skb frees that follow them with "
              "generic XDP",
              ""};
  }
  if (o.latency_mode) return run_latency(c, common);
  WorkDir work(o.traffic, "forward");
  Topology topo = Topology::create_unique_forward("fwd");
  const TopologyConfig& t = topo.config();
  spdlog::info("forward: {} ({}) -> {} ({} -> {}) -> {} ({}), made for this run", t.ns_a, t.dev_a,
               t.ns_m, t.dev_ma, t.dev_mb, t.ns_b, t.dev_b);
  ForwardOutcome outcome;
  outcome.topology = t;
  outcome.payload_bytes = o.traffic.payload_size;
  outcome.cross_check = status;
  const auto phases = phases_for(o.traffic);
  const std::size_t total = phases.size() * o.forwarders.size();
  std::size_t index = 0;
  for (const PhaseSpec& phase : phases) {
    for (const ForwarderKind k : o.forwarders) {
      ++index;
      spdlog::info("[{}/{}] {} {}: {} frames of {} B{}", index, total, to_string(k), phase.name,
                   phase.count, o.traffic.payload_size,
                   phase.rate_pps > 0 ? fmt::format(" at {:.0f} frames/s", phase.rate_pps)
                                      : std::string(", as fast as A sends"));
      const auto progress = [&](const std::string& msg) {
        spdlog::info("[{}/{}]   {}", index, total, msg);
      };
      try {
        outcome.runs.push_back(
            run_forward_phase(t, k, phase, o, work.path(), status.attached, progress));
      } catch (const Error&) {
        work.keep();
        spdlog::info("logs kept in {}", work.path());
        throw;
      }
    }
  }
  outcome.notes = notes_for(outcome);
  const int failed = failed_forward_checks(outcome);
  std::cout << render_forward_report(outcome) << std::flush;
  write_json_result(common.json_file, forward_document(outcome).dump(2) + '\n', "forward");
  if (!common.json_file.empty() && !common.json_to_stdout()) {
    spdlog::info("forward: JSON written to {}", common.json_file);
  }
  if (failed != 0) {
    spdlog::error("forward: {} check{} failed (see above): exit {}", failed,
                  failed == 1 ? "" : "s", kExitChecksFailed);
  }
  return failed == 0 ? 0 : kExitChecksFailed;
}

}  // namespace

CLI::App* register_forward_command(CLI::App& app, CommonOptions& common) {
  auto c = std::make_shared<ForwardCli>();
  CompareOptions& tr = c->opts.traffic;
  tr.paced_rate = 50'000;
  CLI::App* cmd = app.add_subcommand(
      "forward",
      "A middle box under identical UDP traffic (A -> M -> B): socket relay vs shared-UMEM AF_XDP "
      "forwarder, with the copy ledger in M checked against M's own counters");
  in_range(cmd->add_option("--size", tr.payload_size,
                           "UDP payload bytes (at most the devices' MTU - 28)"),
           kMinPayloadSize, kMaxPayloadSize)
      ->capture_default_str();
  in_range<std::uint64_t>(cmd->add_option("--count", tr.paced_count, "Frames in the paced run"), 1,
                          kMaxCount)
      ->capture_default_str();
  in_range(cmd->add_option("--rate", tr.paced_rate, "Frames/s of the paced run"), 0.1, 1e8)
      ->capture_default_str();
  in_range<std::uint64_t>(
      cmd->add_option("--unpaced-count", tr.unpaced_count, "Frames in the unpaced run"), 1,
      kMaxCount)
      ->capture_default_str();
  cmd->add_flag("--no-unpaced", tr.skip_unpaced, "Skip the unpaced run");
  cmd->add_option("--forwarders", c->forwarders,
                  "Which forwarders run in M, in this order: relay, xsk_native, xsk_generic")
      ->delimiter(',')
      ->capture_default_str();
  in_range<std::uint32_t>(
      cmd->add_option("--ring-size", c->opts.ring_size,
                      "AF_XDP forwarder's RX and TX ring entries (power of two)"),
      64, 16384)
      ->capture_default_str();
  in_range<std::uint32_t>(
      cmd->add_option("--frame-count", c->opts.frame_count,
                      "AF_XDP forwarder's UMEM frames (power of two, at least twice --ring-size)"),
      128, 1U << 20)
      ->capture_default_str();
  in_range<std::uint16_t>(cmd->add_option("--dst-port", tr.dst_port, "UDP destination port"), 1,
                          65535)
      ->capture_default_str();
  online_cpu(cmd->add_option("--cpu-tx", tr.cpu_tx, "Pin the sender in A to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  online_cpu(cmd->add_option("--cpu-m", c->opts.cpu_m, "Pin the forwarder in M to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  online_cpu(cmd->add_option("--cpu-rx", tr.cpu_rx, "Pin the receiver in B to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  add_sched_fifo_option(
      *cmd, c->opts.sched_fifo,
      "Run M's forwarder (relay and AF_XDP alike, both waiting in poll(2)) as SCHED_FIFO at this "
      "priority (1-99, as chrt -f does; 0 = SCHED_OTHER): as SCHED_OTHER, CPU-bound tasks on "
      "its CPU delay it after each wakeup until its ingress ring or socket buffer overflows and "
      "the paced phase loses frames in M. In the paced run B's receiver runs at the same "
      "priority, so busy tasks cannot starve it either (unpaced: SCHED_OTHER)");
  LatencyOptions& lo = c->opts.latency;
  lo.modes = "sock-block";
  cmd->add_flag("--latency", c->opts.latency_mode,
                "Ping from A, pong in B, forwarded both ways by M: RTT through the middle box per "
                "forwarder (the throughput phases do not run; --count counts pings, default " +
                    std::to_string(lo.count) + ")");
  cmd->add_option("--modes", lo.modes,
                  "--latency: the ends' `copylab latency` modes (sockets or AF_XDP on both ends)")
      ->capture_default_str();
  in_range<std::uint64_t>(cmd->add_option("--warmup", lo.warmup, "--latency: warm-up pings per run"),
                          0, kMaxCount)
      ->capture_default_str();
  in_range(cmd->add_option("--reps", lo.reps, "--latency: repetitions of every forwarder"), 1, 1000)
      ->capture_default_str();
  in_range(cmd->add_option("--duration", lo.duration_s, "--latency: bound on one run in seconds"),
           0.001, kMaxSeconds)
      ->capture_default_str();
  in_range(cmd->add_option("--reply-timeout", lo.reply_timeout_ms,
                           "--latency: ms after which an echo counts as lost"),
           1, 10000)
      ->capture_default_str();
  online_cpu(cmd->add_option("--cpu-ping", lo.cpu_ping, "--latency: pin the ping in A to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  online_cpu(cmd->add_option("--cpu-pong", lo.cpu_pong, "--latency: pin the pong in B to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  output_dir(cmd->add_option("--work-dir", tr.work_dir, "Keep per-run logs and JSON here"));
  cmd->add_flag("--keep-logs", tr.keep_logs, "Keep the temporary work directory");
  cmd->add_option("--backend", tr.backend,
                  "Cross-check in M: auto (BPF when allowed), bpf, none")
      ->capture_default_str();
  c->cmd = cmd;
  cmd->footer(kExitCodesFooter);
  cmd->callback([c, &common] { finish_command(run_forward(*c, common)); });
  return cmd;
}

}  // namespace copylab

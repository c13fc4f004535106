#include "cli/compare_command.hpp"

#include <net/if.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include "common/child_process.hpp"
#include "cli/option_checks.hpp"
#include "cli/options_xdp_mode.hpp"
#include "cli/work_dir.hpp"
#include "cli/xsk_bind_option.hpp"
#include "common/error.hpp"
#include "common/link_state.hpp"
#include "common/output_file.hpp"
#include "common/privilege.hpp"
#include "common/run_registry.hpp"
#include "xdp/device.hpp"
#include "netns/command.hpp"
#include "netns/discover.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology_defaults.hpp"
#include "packet/frame.hpp"
#include "packet/payload_size.hpp"
#include "pathspec/tool_argv.hpp"
#include "harness/compare_caveats.hpp"
#include "report/compare_json.hpp"
#include "harness/compare_observer.hpp"
#include "report/compare_report.hpp"
#include "harness/compare_runner.hpp"
#include "harness/dpdk_pairs.hpp"

namespace copylab {
namespace {

Topology make_topology(const CompareOptions& o) {
  if (o.netns.empty()) return Topology::create_unique("cmp");
  TopologyConfig cfg;
  cfg.ns_a = o.netns[0];
  cfg.ns_b = o.netns[1];
  cfg.dev_a = o.devs[0];
  cfg.dev_b = o.devs[1];
  discover_addresses(cfg.ns_a, cfg.dev_a, cfg.mac_a, cfg.ip_a);
  discover_addresses(cfg.ns_b, cfg.dev_b, cfg.mac_b, cfg.ip_b);
  return Topology::adopt(cfg);
}

// --netns A,B --dev X,Y: everything the runs will need from someone else's namespaces, checked
// before any work directory, program or process exists (each failure: one line naming the fix).
void check_reused_topology(const CompareOptions& o) {
  if (o.netns.empty()) return;
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string& ns = o.netns[i];
    const std::string& dev = o.devs[i];
    require_netns(ns);
    NetnsScope scope(ns);
    if (if_nametoindex(dev.c_str()) == 0) {
      throw Error("no device '" + dev + "' in network namespace " + ns,
                  "check ip -n " + ns + " link, or pass the right --dev", kExitUsage);
    }
    require_link_up(dev, ns);
    check_payload_fits(dev, o.payload_size);
    // The socket receiver binds --dst-port in B, the socket sender its source port in A.
    const std::uint16_t port = i == 0 ? o.src_port : o.dst_port;
    require_udp_port_free(ns, port, i == 1 ? "pick another --dst-port" : "");
  }
}

void validate(const CompareOptions& o) {
  if (!o.devs.empty() && o.netns.empty()) {
    throw Error("--dev needs --netns (without --netns, compare makes its own namespaces and devices)",
                "give both, e.g. --netns ns1,ns2 --dev veth1,veth2, or drop --dev", kExitUsage);
  }
  if (!o.netns.empty()) {
    if (o.netns.size() != 2 || o.devs.size() != 2) {
      throw Error("--netns and --dev each take two names (A,B and X,Y)",
                  "e.g. --netns ns1,ns2 --dev veth1,veth2", kExitUsage);
    }
    if (o.netns[0] == o.netns[1]) {
      throw Error("--netns " + o.netns[0] + "," + o.netns[1] +
                      " names the same namespace twice: sender and receiver need the two ends "
                      "of a veth pair in two namespaces",
                  "give two namespaces, e.g. --netns ns1,ns2 (netns/setup.sh makes them)",
                  kExitUsage);
    }
  }
  // The defaults (CPUs 0 and 1) are checked too: they are not there on a one-CPU machine.
  require_usable_cpu("--cpu-tx", o.cpu_tx);
  require_usable_cpu("--cpu-rx", o.cpu_rx);
  // --size, --count, --unpaced-count and --rate were range-checked as they were parsed (in_range).
  // Every bound on a run is a multiple of its expected length: keep that finite and sane.
  if (static_cast<double>(o.paced_count) / o.paced_rate > kMaxSeconds) {
    throw Error("--count " + std::to_string(o.paced_count) + " at --rate " +
                    fmt::format("{:g}", o.paced_rate) + " would run for more than a week",
                "lower --count or raise --rate", kExitUsage);
  }
  for (const auto& [option, value] : {std::pair{"--rx-ring-size", o.rx_ring_size},
                                      std::pair{"--rx-frame-count", o.rx_frame_count}}) {
    if (!std::has_single_bit(value)) {
      throw Error(std::string(option) + " " + std::to_string(value) + " is not a power of two",
                  std::string("give a power of two, e.g. ") + option + " 8192", kExitUsage);
    }
  }
  if (o.xdp_mode == XdpMode::kAuto) {
    throw Error("--mode auto: compare checks the attach mode it asked for", "give --mode native (drv) or generic (skb)", kExitUsage);
  }
}

std::vector<std::string> notes_for(const std::vector<RunRecord>& runs,
                                   const ObserverStatus& evidence_status) {
  std::vector<std::string> notes;
  notes.push_back(
      "Identical traffic on both paths: same payload bytes (copylab's 32-byte header + "
      "deterministic fill), same ports and sizes, same frame count and pacing; only how frames "
      "move differs.");
  notes.push_back(
      "On veth the receive softirq runs inside the sender's system call (veth_xmit → backlog or "
      "NAPI on the sender's CPU), so the sender's system time includes most of the receive "
      "stack; the receiver's CPU time is only its own loop.");
  for (const RunRecord& r : runs) {
    if (r.pair.rx == PathKind::kAfXdp && r.counts.receiver.mode.bind == "copy") {
      notes.push_back(
          "AF_XDP ran in copy mode (read back from XDP_OPTIONS). "
          "The user↔kernel copies of the socket path (COPY #1 _copy_from_iter, COPY #4 "
          "_copy_to_iter) are gone, but the kernel copies instead: UMEM→skb on transmit "
          "(skb_store_bits in __xsk_generic_xmit on veth) and into UMEM on receive (__xsk_rcv). True "
          "zero-copy needs a ZC-capable driver (see copylab doctor).");
      break;
    }
  }
  notes.push_back(
      "In paced runs a spinning sender or receiver burns CPU between frames, so their CPU time "
      "per packet measures the wait policy, not the cost of a frame: read per-packet costs from "
      "the unpaced runs.");
  notes.push_back(
      "One-way latency here is measured under the run's own load (queueing included), from the "
      "send timestamp in the payload (CLOCK_MONOTONIC_RAW) to the receiver's loop; for RTT "
      "percentiles per wait mode use copylab latency.");
  if (evidence_status.attached) {
    notes.push_back("In-kernel copy evidence: " + evidence_status.backend + ".");
    const bool calibrated = std::any_of(runs.begin(), runs.end(),
                                        [](const RunRecord& r) { return r.overhead.has_value(); });
    notes.push_back(
        calibrated
            ? "Cross-check cost: each run with the cross-check was preceded by the same run "
              "without it; the row shows received frames/s with / without (unpaced) and one-way "
              "p50 with / without (paced). Both runs vary by a few percent on a shared machine."
            : "Cross-check cost: not measured in this report (--no-calibration or --backend kmod); "
              "copylab_bench_throughput --cross-check measures it for this machine.");
  } else {
    notes.push_back("No in-kernel copy evidence and no syscall counts in this report: " +
                    (evidence_status.reason.empty() ? std::string("cross-check not attached")
                                                    : evidence_status.reason) +
                    ". The counts above come from the tools and the kernel's counters only.");
  }
  return notes;
}

int run_compare(const CompareOptions& asked, const CommonOptions& common) {
  validate(asked);
  CompareOptions o = asked;
  require_capability(Privilege::kNetAdmin, "create namespaces and attach XDP programs");
  for (const std::string& tool : all_tool_names()) {
    if (access((self_bin_dir() + "/" + tool).c_str(), X_OK) != 0) {
      throw Error("copylab compare needs " + tool + " next to it in " + self_bin_dir(),
                  "build the whole project (cmake --build build)");
    }
  }
  check_compare_backend(o);  // an unavailable --backend: one line, before anything is set up
  check_reused_topology(o);
  check_zero_copy_devices(o.xsk_bind, o.netns, o.devs, "compare");
  // The pair made for this run gets veth's default MTU; reused devices were checked above.
  if (o.netns.empty()) {
    check_payload_fits_mtu(o.payload_size, topology_defaults::kMtu, "the veth pair compare makes",
                           "run on a pair with a larger MTU (--netns A,B)");
  }
  WorkDir work(o);
  Topology topo = make_topology(o);
  const auto& t = topo.config();
  spdlog::info("compare: namespaces {} -> {}{}", t.ns_a, t.ns_b,
               topo.owned() ? ", made for this run" : "");
  spdlog::info("compare: devices {} ({}) -> {} ({})", t.dev_a, t.ip_a.str(), t.dev_b,
               t.ip_b.str());
  // The DPDK pairs run where the DPDK tools are built and the EAL and PMD start here; else one
  // line says why and the other pairs run.
  DpdkStatus dpdk;
  if (const auto why = dpdk_unavailable(t, self_bin_dir(), work.path())) {
    dpdk.reason = *why;
    spdlog::warn("compare: no DPDK pair: {}", *why);
  } else {
    o.with_dpdk = dpdk.ran = true;
  }
  std::unique_ptr<CompareObserver> observer = make_compare_observer(o, t);
  // The module stays loaded for the whole compare: there is no run without it to compare with.
  const bool calibrate =
      o.calibrate && o.backend != "kmod" && observer->status().attached;

  std::vector<RunRecord> records;
  const auto pairs = pairs_for(o);
  const auto phases = phases_for(o);
  const std::size_t total = pairs.size() * phases.size();
  std::size_t index = 0;
  for (const auto& phase : phases) {
    for (const auto& pair : pairs) {
      ++index;
      spdlog::info("[{}/{}] {} {}: {} frames of {} B{}", index, total, pair.label(), phase.name,
                   phase.count, o.payload_size,
                   phase.rate_pps > 0 ? fmt::format(" at {:.0f} frames/s", phase.rate_pps)
                                      : std::string(", as fast as it goes"));
      set_observer_run(*observer, pair, phase.name);
      const auto progress = [&](const std::string& msg) {
        spdlog::info("[{}/{}]   {}", index, total, msg);
      };
      try {
        std::optional<RunRecord> bare;
        if (calibrate) {
          progress("without the cross-check first (what it costs)");
          bare = run_compare_phase(t, pair, phase, o, work.path(), nullptr, progress);
        }
        RunRecord rec = run_compare_phase(t, pair, phase, o, work.path(), observer.get(), progress);
        if (bare) calibrate_overhead(rec, *bare);
        observer->complete_run(rec);
        records.push_back(std::move(rec));
      } catch (const Error&) {
        work.keep();
        spdlog::info("logs kept in {}", work.path());
        throw;
      }
    }
  }
  CompareOutcome outcome;
  outcome.topology = t;
  outcome.topology_owned = topo.owned();
  outcome.payload_bytes = o.payload_size;
  outcome.cross_check = observer->status();
  outcome.copies = observer->summarize(records);
  dpdk.pmd_copies = pmd_copy_lines(records);
  outcome.dpdk = std::move(dpdk);
  flag_verdicts(outcome.copies, records);
  outcome.notes = notes_for(records, outcome.cross_check);
  outcome.runs = std::move(records);
  const int failed = failed_checks(outcome.runs);
  std::cout << render_compare_report(outcome) << std::flush;
  // After the report: a failed write keeps the report on screen and the JSON in a fallback file.
  write_json_result(common.json_file, compare_document(to_json(outcome)).dump(2) + '\n',
                    "compare");
  if (!common.json_file.empty() && !common.json_to_stdout()) {
    spdlog::info("compare: JSON written to {}", common.json_file);
  }
  if (failed != 0) {
    spdlog::error("compare: {} check{} against the kernel's counters failed (see above): exit {}",
                  failed, failed == 1 ? "" : "s", kExitChecksFailed);
  }
  return failed == 0 ? 0 : kExitChecksFailed;
}

}  // namespace

CLI::App* register_compare_command(CLI::App& app, CommonOptions& common) {
  auto opts = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Run identical UDP traffic over the socket path, AF_XDP and (where built) "
                 "DPDK's net_af_xdp PMD, cross-checked, and report them side by side");
  in_range(cmd->add_option("--size", opts->payload_size,
                           "UDP payload bytes (at most the devices' MTU - 28)"),
           kMinPayloadSize, kMaxPayloadSize)
      ->capture_default_str();
  in_range<std::uint64_t>(cmd->add_option("--count", opts->paced_count, "Frames in the paced run"),
                          1, kMaxCount)
      ->capture_default_str();
  in_range(cmd->add_option("--rate", opts->paced_rate,
                           "Frames/s of the paced run (both paths must carry it; below 1: frames "
                           "more than a second apart)"),
           0.1, 1e8)
      ->capture_default_str();
  in_range<std::uint64_t>(
      cmd->add_option("--unpaced-count", opts->unpaced_count, "Frames in the unpaced run"), 1,
      kMaxCount)
      ->capture_default_str();
  cmd->add_flag("--no-unpaced", opts->skip_unpaced, "Skip the unpaced run");
  cmd->add_flag("--no-calibration", [opts](std::int64_t) { opts->calibrate = false; },
                "Skip the run without the cross-check before each run with it (the cost it states)");
  cmd->add_flag("--all-pairs", opts->all_pairs,
                "Also run the mixed pairs socket->af_xdp and af_xdp->socket (and, where the "
                "DPDK pair runs, af_xdp->dpdk and dpdk->af_xdp)");
  add_xdp_mode_option(*cmd, "--mode", opts->xdp_mode,
                      "XDP attach mode of the AF_XDP receivers: native (drv) or generic (skb)");
  add_xsk_bind_option(*cmd, opts->xsk_bind, "the af_xdp->af_xdp pair");
  // The name this option had before --mode (the tools' name); hidden, kept for existing scripts.
  add_xdp_mode_option(*cmd, "--xdp-mode", opts->xdp_mode, "Deprecated: use --mode")->group("");
  in_range<std::uint32_t>(
      cmd->add_option("--rx-ring-size", opts->rx_ring_size,
                      "AF_XDP receivers' RX ring entries (power of two; the fill ring gets twice "
                      "this)"),
      64, 16384)
      ->capture_default_str();
  in_range<std::uint32_t>(
      cmd->add_option("--rx-frame-count", opts->rx_frame_count,
                      "AF_XDP receivers' UMEM frames (power of two; up to --rx-ring-size of them "
                      "circulate through the fill and RX rings; at least two receive batches)"),
      128, 1U << 20)
      ->capture_default_str();
  in_range<std::uint16_t>(cmd->add_option("--dst-port", opts->dst_port, "UDP destination port"), 1,
                          65535)
      ->capture_default_str();
  online_cpu(cmd->add_option("--cpu-tx", opts->cpu_tx, "Pin the sender tools to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  online_cpu(cmd->add_option("--cpu-rx", opts->cpu_rx, "Pin the receiver tools to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  cmd->add_option("--netns", opts->netns, "Reuse namespaces A,B (made by netns/setup.sh)")
      ->delimiter(',');
  cmd->add_option("--dev", opts->devs, "Devices X,Y in those namespaces")->delimiter(',');
  output_dir(cmd->add_option("--work-dir", opts->work_dir, "Keep per-run logs and JSON here"));
  cmd->add_flag("--keep-logs", opts->keep_logs, "Keep the temporary work directory");
  cmd->add_option("--backend", opts->backend,
                  "In-kernel cross-check: auto (what the kernel allows: BPF), bpf, kmod (kprobe "
                  "module copyprobe: exact counts at the copy functions; needs modules+kprobes), "
                  "none")
      ->capture_default_str();
  cmd->add_option("--kmod-module", opts->kmod_module,
                  "With --backend kmod: a prebuilt copyprobe.ko for the running kernel (default: "
                  "build it against /lib/modules/$(uname -r)/build)");
  cmd->footer(kExitCodesFooter);
  cmd->callback([opts, &common] { finish_command(run_compare(*opts, common)); });
  return cmd;
}

}  // namespace copylab

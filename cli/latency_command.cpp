#include "cli/latency_command.hpp"

#include <net/if.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <tuple>

#include "cli/option_checks.hpp"
#include "cli/work_dir.hpp"
#include "common/child_process.hpp"
#include "harness/dpdk_pairs.hpp"
#include "packet/payload_size.hpp"
#include "common/clock.hpp"
#include "common/cpu.hpp"
#include "common/error.hpp"
#include "common/link_state.hpp"
#include "common/output_file.hpp"
#include "common/privilege.hpp"
#include "common/stop.hpp"
#include "latency/experiment.hpp"
#include "cli/log_once.hpp"
#include "latency/sides.hpp"
#include "latency/sockperf.hpp"
#include "latency/tool_sides.hpp"
#include "cli/xsk_bind_option.hpp"
#include "netns/discover.hpp"
#include "netns/netns_scope.hpp"
#include "netns/topology.hpp"
#include "netns/topology_defaults.hpp"
#include "report/latency_plots.hpp"
#include "report/latency_table.hpp"
#include "report/report_text.hpp"

namespace copylab {

namespace {

nlohmann::json host_json() {
  utsname u{};
  uname(&u);
  char date[64] = "";
  const std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return {{"kernel", std::string(u.release)},
          {"machine", std::string(u.machine)},
          {"online_cpus", online_cpu_count()},
          {"date", date},
          {"copylab", version_string()}};
}

nlohmann::json options_json(const LatencyOptions& o, const LatencyPlan& plan) {
  nlohmann::json modes = nlohmann::json::array();
  for (const auto& m : plan.modes) modes.push_back(m.name);
  return {{"modes", modes},          {"count", o.count},
          {"warmup", o.warmup},      {"reps", o.reps},
          {"sizes", plan.sizes},     {"rates_pps", plan.rates},
          {"duration_bound_s", o.duration_s}, {"reply_timeout_ms", o.reply_timeout_ms},
          {"cpu_ping", o.cpu_ping},  {"cpu_pong", o.cpu_pong},
          {"significant_digits", o.digits}, {"vs_sockperf", o.vs_sockperf},
          {"rx_timestamps", o.rx_timestamps}, {"xsk_bind", to_string(o.xsk_bind)}};
}

// The DPDK mode where DPDK cannot run (`why`): named in --modes, a usage error with the fix;
// taken in through "default" or "all", left out with one line saying why.
void settle_dpdk_modes(LatencyPlan& plan, const LatencyOptions& opts,
                       const std::optional<std::string>& why) {
  if (!why) return;
  std::string left_out;
  for (auto it = plan.modes.begin(); it != plan.modes.end();) {
    if (!uses_dpdk(*it)) {
      ++it;
      continue;
    }
    if (names_mode(opts.modes, it->name)) {
      throw Error("--modes " + it->name + ": DPDK cannot run here: " + *why,
                  "apt-get install libdpdk-dev librte-net-af-xdp23 and rebuild, or leave " +
                      it->name + " out of --modes",
                  kExitUsage);
    }
    left_out += (left_out.empty() ? "" : ", ") + it->name;
    it = plan.modes.erase(it);
  }
  if (left_out.empty() || opts.quiet) return;
  // Within the report width ("info: " + text), like the progress lines.
  for (const auto& l : wrap_hanging(left_out + " left out: " + *why, "    ", kReportWidth - 6)) {
    spdlog::info("{}", l);
  }
}

}  // namespace

std::string list_modes_text() {
  std::ostringstream o;
  for (const auto& m : all_modes()) {
    o << m.name << (m.in_default_set ? " (default)" : "") << "\n    ping " << describe(m.ping)
      << ", pong " << describe(m.pong) << "\n    " << m.description << "\n";
  }
  return o.str();
}

int run_latency(const LatencyOptions& opts) {
  const int cpus = online_cpu_count();
  LatencyPlan plan = validate(opts, cpus);
  const bool wants_dpdk = std::any_of(plan.modes.begin(), plan.modes.end(), uses_dpdk);
  if (wants_dpdk) settle_dpdk_modes(plan, opts, pingpong_tool_missing(self_bin_dir()));
  require_capability(Privilege::kNetAdmin, "create namespaces and attach XDP programs");
  require_capability(Privilege::kBpf, "load the XDP programs");
  if (opts.cpu_ping == opts.cpu_pong) {
    spdlog::warn("ping and pong share CPU {}: spinning modes will measure scheduler time slices",
                 opts.cpu_ping);
  }

  std::optional<Topology> topo;
  if (!opts.netns.empty()) {
    TopologyConfig cfg;
    std::tie(cfg.ns_a, cfg.ns_b) = parse_pair(opts.netns, "--netns");
    if (!opts.dev.empty()) std::tie(cfg.dev_a, cfg.dev_b) = parse_pair(opts.dev, "--dev");
    require_netns(cfg.ns_a);
    require_netns(cfg.ns_b);
    check_zero_copy_devices(opts.xsk_bind, {cfg.ns_a, cfg.ns_b}, {cfg.dev_a, cfg.dev_b}, "latency");
    // Someone else's topology: its real MACs and IPv4 addresses, not setup.sh's defaults.
    discover_topology_addresses(cfg);
    topo.emplace(Topology::adopt(cfg));
    // A socket ping binds kPingPort in A, a socket pong the pong's port in B: a port someone
    // holds there is named now, before any side or program is built.
    bool socket_ping = false, socket_pong = false;
    for (const ModeSpec& m : plan.modes) {
      socket_ping = socket_ping || m.ping.kind() == SideKind::kSocket;
      socket_pong = socket_pong || m.pong.kind() == SideKind::kSocket;
    }
    const std::uint16_t pong_port = RunParams{}.port;
    for (const auto& [ns, dev, sock, port] :
         {std::tuple{cfg.ns_a, cfg.dev_a, socket_ping, kPingPort},
          std::tuple{cfg.ns_b, cfg.dev_b, socket_pong, pong_port}}) {
      NetnsScope scope(ns);
      require_link_up(dev, ns);
      if (sock) require_udp_port_free(ns, port);
    }
  } else {
    check_zero_copy_devices(opts.xsk_bind, {}, {}, "latency");
    // The pair made for this run gets veth's default MTU: every size of the sweep fits it or
    // nothing is made.
    for (const std::size_t size : plan.sizes) {
      check_payload_fits_mtu(size, topology_defaults::kMtu, "the veth pair latency makes",
                             "run on a pair with a larger MTU (--netns A,B)",
                             size == opts.size ? "--size" : "--sizes");
    }
    if (!opts.quiet) spdlog::info("creating a namespace pair for the experiment");
    topo.emplace(Topology::create_unique("lat"));
  }
  const TopologyConfig& cfg = topo->config();
  // The EAL and the net_af_xdp PMD must start on the pong's device, before any traffic.
  if (std::any_of(plan.modes.begin(), plan.modes.end(), uses_dpdk)) {
    const WorkDir probe(CompareOptions{}, "latency");
    settle_dpdk_modes(plan, opts, dpdk_unavailable(cfg, self_bin_dir(), probe.path()));
  }
  // Reused devices: every size of the sweep against both devices' MTU, before any side is
  // built. The smaller MTU goes into the results.
  unsigned mtu = 0;
  for (const auto& [ns, dev] : {std::pair{cfg.ns_a, cfg.dev_a}, std::pair{cfg.ns_b, cfg.dev_b}}) {
    NetnsScope scope(ns);
    const unsigned dev_mtu = device_mtu(dev);
    mtu = mtu == 0 ? dev_mtu : std::min(mtu, dev_mtu);
    if (topo->owned()) continue;
    for (const std::size_t size : plan.sizes) {
      check_payload_fits(dev, size, size == opts.size ? "--size" : "--sizes");
    }
  }

  // Every run builds its sides again, and the datapaths announce their XDP program and AF_XDP
  // socket each time: those lines are printed once, progress lines every time.
  std::optional<InfoLinesOnce> once(std::in_place);
  LatencyResults results = run_experiment(plan, opts, cfg, [&](const std::string& line) {
    if (opts.quiet) return;
    // Continuation lines under the first keep the log within the report width ("info: " + text).
    const std::size_t room = kReportWidth - 6;
    for (const auto& l : wrap_hanging(line, "    ", room)) once->every_line().info("{}", l);
  });

  std::size_t failed = 0, ran = 0;
  std::string first_error;
  for (const auto& c : results.configs) {
    if (!c.error.empty()) {
      ++failed;
      if (first_error.empty()) first_error = c.mode + ": " + c.error;
    }
    if (!c.runs.empty()) ++ran;
  }
  if (ran == 0 && !first_error.empty()) {
    throw Error("no configuration could run; first failure: " + first_error,
                "see `copylab doctor` for what this kernel allows", kExitUnsupported);
  }

  if (opts.vs_sockperf && !stop_requested()) {
    if (!opts.quiet) spdlog::info("running sockperf ping-pong in the same namespaces");
    SockperfParams sp;
    sp.ns_server = cfg.ns_b;
    sp.ns_client = cfg.ns_a;
    sp.server_ip = cfg.ip_b.str();
    sp.cpu_server = opts.cpu_pong;
    sp.cpu_client = opts.cpu_ping;
    sp.msg_size = plan.sizes.front();
    for (bool nonblocked : {false, true}) {
      if (stop_requested()) break;
      sp.nonblocked = nonblocked;
      results.sockperf.push_back(run_sockperf(sp));
    }
  }

  once.reset();

  results.meta = {{"method", method_json(opts)},
                  {"options", options_json(opts, plan)},
                  {"host", host_json()},
                  {"topology",
                   {{"netns", {cfg.ns_a, cfg.ns_b}},
                    {"dev", {cfg.dev_a, cfg.dev_b}},
                    {"ip", {cfg.ip_a.str(), cfg.ip_b.str()}},
                    {"mtu", mtu},
                    {"created_for_this_run", topo->owned()}}},
                  {"interrupted", stop_requested()}};

  const std::string table = render_latency_table(results);
  std::cout << table << std::flush;
  const nlohmann::json doc = to_json(results);
  if (!opts.json_path.empty()) {
    write_json_result(opts.json_path, doc.dump(2) + "\n", "latency");
    if (!opts.quiet && opts.json_path != "-") spdlog::info("JSON written to {}", opts.json_path);
  }
  if (!opts.html_dir.empty()) {
    const HtmlReport html = write_latency_html(results, opts.html_dir, table, doc);
    if (!html.plot_error.empty()) spdlog::warn("plots not rendered: {}", html.plot_error);
    if (!opts.quiet) spdlog::info("HTML report: {}", html.index);
  }
  if (stop_requested()) return 128 + stop_signal();
  if (failed) {
    spdlog::error("{} configuration(s) failed; first: {}", failed, first_error);
    return kExitUnsupported;
  }
  return 0;
}

CLI::App* register_latency_command(CLI::App& app, CommonOptions& common) {
  auto opts = std::make_shared<LatencyOptions>();
  auto sizes = std::make_shared<std::string>();
  auto rates = std::make_shared<std::string>();
  auto list = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand(
      "latency",
      "Ping-pong RTT and one-way latency: sockets vs AF_XDP vs the XDP_TX floor (and DPDK's "
      "net_af_xdp PMD, mode dpdk-spin, where DPDK is built)");
  sub->add_option("--modes", opts->modes,
                  "comma list of modes, 'default' or 'all' (see --list-modes)")
      ->capture_default_str();
  sub->add_flag("--list-modes", *list, "print the modes and exit");
  in_range<std::uint64_t>(sub->add_option("--count", opts->count, "measured pings per run"), 1,
                          kMaxCount)
      ->capture_default_str();
  in_range<std::uint64_t>(sub->add_option("--warmup", opts->warmup, "warm-up pings per run (discarded)"),
                          0, kMaxCount)
      ->capture_default_str();
  in_range(sub->add_option("--reps", opts->reps, "repetitions of every configuration"), 1, 1000)
      ->capture_default_str();
  in_range(sub->add_option("--size", opts->size, "UDP payload bytes (32..MTU-28)"), kMinPayloadSize,
           kMaxPayloadSize)
      ->capture_default_str();
  sub->add_option("--sizes", *sizes, "payload-size sweep, e.g. 64,256,512,1024,1472");
  sub->add_option("--rates", *rates, "paced rate sweep in pings/s, e.g. 1000,10000,50000");
  in_range(sub->add_option("--duration", opts->duration_s, "bound on one run in seconds"), 0.001,
           kMaxSeconds)
      ->capture_default_str();
  in_range(sub->add_option("--reply-timeout", opts->reply_timeout_ms,
                           "ms after which a missing echo counts as lost"),
           1, 10000)
      ->capture_default_str();
  online_cpu(sub->add_option("--cpu-ping", opts->cpu_ping, "Pin the ping (client) side to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  online_cpu(sub->add_option("--cpu-pong", opts->cpu_pong, "Pin the pong (echo) side to this CPU"))
      ->type_name("CPU")
      ->capture_default_str();
  in_range(sub->add_option("--digits", opts->digits, "histogram significant digits (1..5)"), 1, 5)
      ->capture_default_str();
  output_dir(sub->add_option("--html", opts->html_dir, "write plots (gnuplot SVG/PNG) and index.html here"));
  add_xsk_bind_option(*sub, opts->xsk_bind,
                      "the AF_XDP sockets of the native-XDP modes (zero-copy: named <mode>-zc)");
  sub->add_option("--netns", opts->netns, "use existing namespaces A,B (e.g. ns1,ns2)");
  sub->add_option("--dev", opts->dev, "devices X,Y in those namespaces (default veth1,veth2)");
  sub->add_flag("--vs-sockperf", opts->vs_sockperf,
                "also run sockperf ping-pong (blocking, and --nonblocked) in the same namespaces and "
                "CPUs, next to sock-block and sock-spin");
  auto no_rx_ts = std::make_shared<bool>(false);
  sub->add_flag("--no-rx-timestamps", *no_rx_ts,
                "do not ask socket receivers for kernel software RX timestamps (no kernel/user "
                "split; saves one ktime_get_real and one control message per datagram)");
  sub->callback([opts, sizes, rates, list, no_rx_ts, &common] {
    opts->rx_timestamps = !*no_rx_ts;
    opts->json_path = common.json_file;  // the results as JSON (copylab.latency/2)
    opts->quiet = common.quiet;
    if (*list) {
      std::cout << list_modes_text();
      return;
    }
    if (!sizes->empty()) opts->sizes = parse_size_list(*sizes, "--sizes");
    if (!rates->empty()) opts->rates = parse_rate_list(*rates, "--rates");
    const int rc = run_latency(*opts);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
  return sub;
}

}  // namespace copylab

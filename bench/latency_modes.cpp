// bench: the latency mode table as JSON. Makes its own namespace pair, runs every default mode
// (64 B, pinned ping CPU 0 / pong CPU 1, interleaved repetitions; DPDK's dpdk-spin where its tools
// are built and the PMD starts, else "dpdk" says why) and prints the same-run RTT p50 ratios
// DPDK / AF_XDP / socket, and per mode the median
// of the runs' p50/p99 and the ratio of p50 to the floor mode and to socket-blocking measured in
// the same run, next to reference values measured on this VM with hand-written C probes.
// Target (same run): the floor mode's p50 is at most every other mode's p50, each mode taken as its
// best run (the lowest p50 of the interleaved repetitions: interference only makes a run slower).
// Exit 3 when a target is missed.
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"
#include "cli/work_dir.hpp"
#include "common/child_process.hpp"
#include "common/cpu.hpp"
#include "harness/dpdk_pairs.hpp"
#include "latency/experiment.hpp"
#include "latency/tool_sides.hpp"
#include "netns/topology.hpp"

using namespace copylab;

int main(int argc, char** argv) {
  CLI::App app("latency mode table as JSON");
  CommonOptions common;
  add_common_options(app, common);
  LatencyOptions o;
  o.count = 10000;
  o.warmup = 1000;
  o.reps = 3;
  app.add_option("--modes", o.modes)->capture_default_str();
  app.add_option("--count", o.count)->capture_default_str();
  app.add_option("--reps", o.reps)->capture_default_str();
  bool no_rx_ts = false;
  app.add_flag("--no-rx-timestamps", no_rx_ts, "measure without kernel RX timestamps (no split)");
  return run_main(app, argc, argv, common, [&] {
    o.cpu_pong = online_cpu_count() > 1 ? 1 : 0;
    o.rx_timestamps = !no_rx_ts;
    LatencyPlan plan = validate(o, online_cpu_count());
    std::optional<Topology> topo;
    topo.emplace(Topology::create_unique("lb"));
    // DPDK's mode, in the same run where its tools are built and the PMD starts here.
    std::optional<std::string> dpdk_why;
    if (std::any_of(plan.modes.begin(), plan.modes.end(), uses_dpdk)) {
      dpdk_why = pingpong_tool_missing(self_bin_dir());
      if (!dpdk_why) {
        const WorkDir probe(CompareOptions{}, "latency-bench");
        dpdk_why = dpdk_unavailable(topo->config(), self_bin_dir(), probe.path());
      }
      if (dpdk_why) std::erase_if(plan.modes, uses_dpdk);
    }
    const LatencyResults r = run_experiment(plan, o, topo->config(), [](const std::string& l) {
      std::cerr << l << "\n";
    });
    // p50 references in µs (64 B, pinned, hand-written C probes on this VM).
    const std::map<std::string, double> reference = {
        {"sock-block", 24.3},       {"sock-spin", 8.6},       {"xsk-spin-native", 5.5},
        {"xsk-spin-generic", 4.7},  {"xsk-wakeup-native", 5.5}, {"xsk-poll-native", 24.5},
        {"mixed-sock-xsk", 7.4},    {"xdp-tx-native", 4.55},  {"mixed-block-xsk", 15.4},
        {"xsk-busypoll-native", 6.7}};
    // The median of a statistic over the runs in µs; null when no run resolved it.
    auto median_us = [](const RunsSummary& rs, const char* key) {
      const Spread* sp = rs.find(key);
      return sp ? nlohmann::json(sp->median / 1000.0) : nlohmann::json(nullptr);
    };
    auto ratio = [](std::optional<double> v) {
      return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    // Spinning modes are compared with the spinning socket too: blocking adds two wakeups whose
    // cost depends on what else runs on the CPUs, spinning does not.
    nlohmann::json modes = nlohmann::json::array();
    for (const auto& c : r.configs) {
      nlohmann::json m{{"mode", c.mode}, {"error", c.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.error)}};
      if (const Spread* p50 = c.rtt.find("p50")) {
        m["p50_us"] = p50->median / 1000.0;
        m["p50_us_min_max"] = {p50->min / 1000.0, p50->max / 1000.0};
        m["p99_us"] = median_us(c.rtt, "p99");
        m["p99_9_us"] = median_us(c.rtt, "p99_9");
        m["ratio_to_floor"] = ratio(r.p50_ratio(c, kFloorMode));
        m["ratio_to_sock_block"] = ratio(r.p50_ratio(c, kBaselineMode));
        m["ratio_to_sock_spin"] = ratio(r.p50_ratio(c, "sock-spin"));
        m["ratio_to_xsk_spin_native"] = ratio(r.p50_ratio(c, "xsk-spin-native"));
        m["lost"] = c.packets.lost;
        // The kernel RX timestamp split and where it was taken (socket: software RX stamp;
        // AF_XDP: the steering program's XDP-hook stamp: different points), or why not.
        auto split = [](const SplitSummary& sp) {
          if (!sp.measured) return nlohmann::json{{"measured", false}, {"why", sp.not_measured}};
          auto us = [](const RunsSummary& rs, const char* k) {
            const Spread* s = rs.find(k);
            return s ? nlohmann::json(s->median / 1000.0) : nlohmann::json(nullptr);
          };
          return nlohmann::json{{"measured", true},
                                {"clock", sp.clock},
                                {"where", sp.where},
                                {"samples", sp.samples},
                                {"missing_timestamp", sp.missing},
                                {"outside_bracket", sp.outside_bracket},
                                {"total_p50_us", us(sp.total, "p50")},
                                {"total_p99_us", us(sp.total, "p99")},
                                {"to_kernel_rx_p50_us", us(sp.to_kernel, "p50")},
                                {"to_kernel_rx_p99_us", us(sp.to_kernel, "p99")},
                                {"kernel_rx_to_user_p50_us", us(sp.from_kernel, "p50")},
                                {"kernel_rx_to_user_p99_us", us(sp.from_kernel, "p99")},
                                {"uncertainty_ns", sp.max_uncertainty_ns}};
        };
        m["one_way_split"] = split(c.one_way_split);
        m["rtt_split"] = split(c.rtt_split);
      }
      if (auto it = reference.find(c.mode); it != reference.end()) {
        m["reference_p50_us"] = it->second;
        m["reference_ratio_to_sock_block"] = it->second / reference.at("sock-block");
        m["reference_ratio_to_sock_spin"] = it->second / reference.at("sock-spin");
      }
      modes.push_back(m);
    }
    // The floor target: each mode's best run (the lowest p50 over the repetitions).
    auto best_p50 = [](const ConfigResult& c) -> std::optional<double> {
      const Spread* p50 = c.rtt.find("p50");
      return p50 ? std::optional<double>(p50->min) : std::nullopt;
    };
    const ConfigResult* floor = nullptr;
    for (const auto& c : r.configs)
      if (c.mode == kFloorMode) floor = &c;
    nlohmann::json slower = nlohmann::json::array();
    bool floor_met = floor != nullptr && best_p50(*floor).has_value();
    for (const auto& c : r.configs) {
      if (!floor_met || &c == floor) continue;
      const auto p = best_p50(c);
      if (p && *p < *best_p50(*floor)) {
        slower.push_back({{"mode", c.mode}, {"best_p50_us", *p / 1000.0}});
        floor_met = false;
      }
    }
    nlohmann::json targets = nlohmann::json::array();
    targets.push_back(
        {{"target", std::string(kFloorMode) + " best p50 <= every other mode's best p50"},
         {"met", floor_met},
         {"floor_best_p50_us",
          floor && best_p50(*floor) ? nlohmann::json(*best_p50(*floor) / 1000.0) : nlohmann::json(nullptr)},
         {"modes_below_floor", slower}});
    // DPDK / AF_XDP / socket RTT p50 from this run (spinning on both sides in each).
    nlohmann::json ratios = nlohmann::json::object();
    const auto p50_ratio = [&](const std::string& a, std::string_view b) {
      const ConfigResult* c = r.find(a, r.base_size, 0);
      return c ? ratio(r.p50_ratio(*c, b)) : nlohmann::json(nullptr);
    };
    ratios["xsk-spin-native / sock-spin"] = p50_ratio("xsk-spin-native", "sock-spin");
    ratios["xsk-spin-native / sock-block"] = p50_ratio("xsk-spin-native", kBaselineMode);
    if (!dpdk_why) {
      ratios["dpdk-spin / xsk-spin-native"] = p50_ratio("dpdk-spin", "xsk-spin-native");
      ratios["dpdk-spin / sock-spin"] = p50_ratio("dpdk-spin", "sock-spin");
      ratios["dpdk-spin / sock-block"] = p50_ratio("dpdk-spin", kBaselineMode);
    }
    nlohmann::json out{{"bench", "latency_modes"},
                       {"dpdk", dpdk_why ? nlohmann::json{{"ran", false}, {"reason", *dpdk_why}}
                                         : nlohmann::json{{"ran", true}}},
                       {"rtt_p50_ratios", ratios},
                       {"targets", targets},
                       {"payload_bytes", 64},
                       {"count", o.count},
                       {"reps", o.reps},
                       {"rx_timestamps", o.rx_timestamps},
                       {"cpu_ping", o.cpu_ping},
                       {"cpu_pong", o.cpu_pong},
                       {"modes", modes}};
    std::cout << out.dump(2) << "\n";
    return floor_met ? 0 : 3;
  });
}

// Throughput benchmark: 64-byte (default) UDP frames, unpaced, over AF_XDP (native and generic),
// the socket path and, where it is built and starts, DPDK's net_af_xdp PMD, in one run on one topology, printed as JSON with the ratios between the
// paths (this VM is noisy: only ratios within one run are meaningful). With --cross-check it
// measures what the in-kernel cross-check costs: each path without it, with the exact ledger and
// with the ledger plus sampled stack histograms (unpaced pps), and without it and with the paced
// configuration of `copylab compare` (one-way latency p50 at a fixed rate), interleaved over
// --reps repetitions and compared as medians. Its targets are same-run ratios; exit 3 when one
// is missed (they need an otherwise idle machine).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "cli/common_options.hpp"
#include "cli/option_checks.hpp"
#include "common/error.hpp"
#include "harness/compare_observer.hpp"
#include "harness/compare_runner.hpp"
#include "harness/dpdk_pairs.hpp"
#include "common/child_process.hpp"
#include "netns/topology.hpp"
#include "packet/payload_size.hpp"

namespace {

using copylab::trace::CheckTier;

struct BenchPath {
  std::string label;
  copylab::PairSpec pair;
  copylab::XdpMode xdp_mode;
};

struct Measurement {
  double received_pps = 0;
  std::optional<double> one_way_p50_us;
  nlohmann::json doc;
};

// One run of `path` with the cross-check in configuration `tier` (none: without it).
Measurement measure(const copylab::TopologyConfig& topo, const BenchPath& path,
                    std::optional<CheckTier> tier, copylab::CompareOptions opts,
                    const copylab::PhaseSpec& phase, const std::string& dir) {
  opts.xdp_mode = path.xdp_mode;
  // kPaced: what `copylab compare` attaches to this pair's paced run (its per-run choices).
  const bool as_compare = tier == CheckTier::kPaced;
  auto observer = tier ? copylab::make_trace_observer(topo, path.xdp_mode,
                                                      as_compare ? std::nullopt : tier)
                       : nullptr;
  if (observer) copylab::set_observer_run(*observer, path.pair, phase.name);
  const auto rec =
      copylab::run_compare_phase(topo, path.pair, phase, opts, dir, observer.get(), nullptr);
  const auto& rx = rec.counts.receiver;
  const double sent = static_cast<double>(rec.counts.sender.sent.value_or(0));
  const double received = static_cast<double>(rx.received.value_or(0));
  Measurement m;
  m.received_pps = rx.pps.value_or(0);
  m.one_way_p50_us = rx.one_way_p50_us;
  m.doc = {{"path", path.label},
           {"phase", phase.name},
           {"cross_check", tier ? copylab::trace::to_string(*tier) : "none"},
           {"frames", phase.count},
           {"sent", sent},
           {"received", received},
           {"loss", sent > 0 ? (sent - received) / sent : 0.0},
           {"sent_pps", rec.counts.sender.pps.value_or(0)},
           {"received_pps", m.received_pps},
           {"one_way_p50_us", m.one_way_p50_us ? nlohmann::json(*m.one_way_p50_us) : nlohmann::json(nullptr)},
           {"receiver_mode", rec.receiver_doc.value("mode", nlohmann::json::object())}};
  return m;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string tier_key(std::optional<CheckTier> t) {
  if (!t) return "none";
  switch (*t) {
    case CheckTier::kLedger: return "ledger";
    case CheckTier::kLedgerStacks: return "ledger+stacks";
    case CheckTier::kPaced: return "paced";
    case CheckTier::kFull: return "full";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("copylab throughput benchmark (JSON on stdout)", "copylab_bench_throughput");
  copylab::CommonOptions common;
  copylab::add_common_options(app, common);
  std::uint64_t xdp_count = 1'000'000, sock_count = 400'000, paced_count = 50'000;
  double paced_rate = 50'000;
  std::size_t size = 64;
  int reps = 3;
  bool with_cross_check = false;
  app.add_option("--xdp-count", xdp_count, "Frames per unpaced AF_XDP run")->capture_default_str();
  app.add_option("--sock-count", sock_count, "Frames per unpaced socket run")->capture_default_str();
  app.add_option("--paced-count", paced_count, "Frames per paced run (--cross-check)")
      ->capture_default_str();
  app.add_option("--paced-rate", paced_rate, "Frames/s of the paced runs (--cross-check)")
      ->capture_default_str();
  copylab::in_range(app.add_option("--size", size, "UDP payload bytes"), copylab::kMinPayloadSize,
                    copylab::kMaxPayloadSize)
      ->capture_default_str();
  copylab::in_range(app.add_option("--reps", reps, "Repetitions (interleaved; medians compared)"), 1, 20)
      ->capture_default_str();
  app.add_flag("--cross-check", with_cross_check,
               "Measure the cross-check's cost: ledger, ledger + sampled stacks, paced latency");
  return copylab::run_main(app, argc, argv, common, [&] {
    copylab::CompareOptions opts;
    opts.payload_size = size;
    char tmpl[] = "/tmp/copylab-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) copylab::throw_errno("mkdtemp", tmpl, errno);
    const std::string dir = tmpl;
    auto topo = copylab::Topology::create_unique("bench");
    using copylab::DatapathKind;
    std::vector<BenchPath> paths{
        {"af_xdp native", {DatapathKind::kAfXdp, DatapathKind::kAfXdp}, copylab::XdpMode::kNative},
        {"af_xdp generic", {DatapathKind::kAfXdp, DatapathKind::kAfXdp}, copylab::XdpMode::kGeneric},
        {"socket", {DatapathKind::kSocket, DatapathKind::kSocket}, copylab::XdpMode::kNative}};
    // DPDK's net_af_xdp PMD, in the same run where its tools are built and it starts here.
    const auto dpdk_why = copylab::dpdk_unavailable(topo.config(), copylab::self_bin_dir(), dir);
    if (!dpdk_why) {
      paths.push_back({"dpdk", {DatapathKind::kDpdk, DatapathKind::kDpdk}, copylab::XdpMode::kNative});
    }
    std::vector<std::optional<CheckTier>> unpaced_tiers{std::nullopt};
    std::vector<std::optional<CheckTier>> paced_tiers;
    if (with_cross_check) {
      unpaced_tiers.insert(unpaced_tiers.end(), {CheckTier::kLedger, CheckTier::kLedgerStacks});
      paced_tiers = {std::nullopt, CheckTier::kPaced};
    }

    nlohmann::json results = nlohmann::json::array();
    std::map<std::string, std::vector<double>> pps, p50;  // "<path>|<tier>" -> per repetition
    for (int rep = 0; rep < reps; ++rep) {
      for (const auto& path : paths) {
        const std::uint64_t n = path.pair.tx == DatapathKind::kSocket ? sock_count : xdp_count;
        for (const auto& tier : unpaced_tiers) {
          Measurement m = measure(topo.config(), path, tier, opts, {"unpaced", n, 0}, dir);
          pps[path.label + "|" + tier_key(tier)].push_back(m.received_pps);
          results.push_back(std::move(m.doc));
        }
        for (const auto& tier : paced_tiers) {
          Measurement m =
              measure(topo.config(), path, tier, opts, {"paced", paced_count, paced_rate}, dir);
          if (m.one_way_p50_us) p50[path.label + "|" + tier_key(tier)].push_back(*m.one_way_p50_us);
          results.push_back(std::move(m.doc));
        }
      }
    }
    std::filesystem::remove_all(dir);

    const auto med = [](const std::map<std::string, std::vector<double>>& m, const std::string& k) {
      const auto it = m.find(k);
      return it == m.end() ? 0.0 : median(it->second);
    };
    nlohmann::json ratios = nlohmann::json::object();
    const auto pps_ratio = [&](const std::string& a, const std::string& b) {
      const double x = med(pps, a), y = med(pps, b);
      return y > 0 ? x / y : 0.0;
    };
    ratios["af_xdp native / socket"] = pps_ratio("af_xdp native|none", "socket|none");
    ratios["af_xdp generic / socket"] = pps_ratio("af_xdp generic|none", "socket|none");
    ratios["af_xdp native / af_xdp generic"] = pps_ratio("af_xdp native|none", "af_xdp generic|none");
    if (!dpdk_why) {
      ratios["dpdk / af_xdp native"] = pps_ratio("dpdk|none", "af_xdp native|none");
      ratios["dpdk / socket"] = pps_ratio("dpdk|none", "socket|none");
    }

    nlohmann::json targets = nlohmann::json::array();
    bool all_met = true;
    const auto target = [&](const std::string& what, double value, double limit, bool at_least) {
      const bool met = value > 0 && (at_least ? value >= limit : value <= limit);
      all_met = all_met && met;
      targets.push_back({{"target", what}, {"value", value}, {"limit", limit}, {"met", met}});
    };
    if (with_cross_check) {
      for (const auto& path : paths) {
        const std::string base = path.label + "|none";
        const double ledger = pps_ratio(path.label + "|ledger", base);
        const double stacks = pps_ratio(path.label + "|ledger+stacks", base);
        ratios[path.label + " + ledger / " + path.label] = ledger;
        ratios[path.label + " + ledger+stacks / " + path.label] = stacks;
        target(path.label + ": pps with the exact ledger / without >= 0.90", ledger, 0.90, true);
        target(path.label + ": pps with ledger + sampled stacks / without >= 0.75", stacks, 0.75,
               true);
        const double p_with = med(p50, path.label + "|paced"), p_without = med(p50, base);
        const double p_ratio = p_without > 0 ? p_with / p_without : 0.0;
        ratios[path.label + " paced one-way p50 with / without"] = p_ratio;
        target(path.label + ": paced one-way p50 with compare's cross-check / without <= 1.10",
               p_ratio, 1.10, false);
      }
    }
    nlohmann::json medians = nlohmann::json::object();
    for (const auto& [k, v] : pps) medians[k + " received_pps"] = median(v);
    for (const auto& [k, v] : p50) medians[k + " one_way_p50_us"] = median(v);
    std::cout << nlohmann::json{{"benchmark", "throughput"},
                                {"unit", "frames/s received (unique, validated)"},
                                {"reps", reps},
                                {"dpdk", dpdk_why ? nlohmann::json{{"ran", false}, {"reason", *dpdk_why}}
                                                  : nlohmann::json{{"ran", true}}},
                                {"targets", targets},
                                {"ratios", ratios},
                                {"medians", medians},
                                {"results", results}}
                     .dump(2)
              << '\n';
    return all_met ? 0 : 3;
  });
}

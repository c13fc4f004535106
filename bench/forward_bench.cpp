// Forwarding benchmark: unpaced 64-byte (default) UDP frames A -> M -> B through the socket relay
// and the shared-UMEM AF_XDP forwarder (native and generic) in M, in one run on one topology,
// interleaved over --reps repetitions, printed as JSON with the forwarded frames/s of each as a
// ratio to the relay's (medians; only ratios within one run are meaningful on a noisy VM). No
// cross-check is attached. Its target: forwarder native >= 2x the relay; exit 3 when missed.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "cli/common_options.hpp"
#include "cli/option_checks.hpp"
#include "common/error.hpp"
#include "harness/forward_runner.hpp"
#include "netns/topology.hpp"
#include "packet/payload_size.hpp"

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("copylab forwarding benchmark (JSON on stdout)", "copylab_bench_forward");
  copylab::CommonOptions common;
  copylab::add_common_options(app, common);
  std::uint64_t count = 500'000;
  std::size_t size = 64;
  int reps = 3;
  copylab::ForwardOptions opts;
  app.add_option("--count", count, "Frames A sends per run (unpaced)")->capture_default_str();
  copylab::in_range(app.add_option("--size", size, "UDP payload bytes"), copylab::kMinPayloadSize,
                    copylab::kMaxPayloadSize)
      ->capture_default_str();
  copylab::in_range(app.add_option("--reps", reps, "Repetitions (interleaved; medians compared)"),
                    1, 20)
      ->capture_default_str();
  app.add_option("--ring-size", opts.ring_size, "AF_XDP forwarder's RX/TX ring entries")
      ->capture_default_str();
  app.add_option("--frame-count", opts.frame_count, "AF_XDP forwarder's UMEM frames")
      ->capture_default_str();
  return copylab::run_main(app, argc, argv, common, [&] {
    opts.traffic.payload_size = size;
    char tmpl[] = "/tmp/copylab-bench-fwd-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) copylab::throw_errno("mkdtemp", tmpl, errno);
    const std::string dir = tmpl;
    auto topo = copylab::Topology::create_unique_forward("bfwd");
    const copylab::PhaseSpec phase{"unpaced", count, 0};
    nlohmann::json results = nlohmann::json::array();
    std::map<std::string, std::vector<double>> pps, lost;
    for (int rep = 0; rep < reps; ++rep) {
      for (const copylab::ForwarderKind k : opts.forwarders) {
        const copylab::ForwardRecord r =
            copylab::run_forward_phase(topo.config(), k, phase, opts, dir, false, {});
        const std::string key = copylab::to_string(k);
        pps[key].push_back(r.forwarded_pps);
        const double sent = static_cast<double>(r.run.counts.sender.sent.value_or(0));
        lost[key].push_back(sent > 0 ? (sent - static_cast<double>(r.forwarded)) / sent : 0);
        results.push_back({{"forwarder", key},
                           {"rep", rep},
                           {"sent", r.run.counts.sender.sent.value_or(0)},
                           {"forwarded", r.forwarded},
                           {"received", r.run.counts.receiver.received.value_or(0)},
                           {"forwarded_pps", r.forwarded_pps},
                           {"sender_pps", r.run.counts.sender.pps.value_or(0)},
                           {"cpu_ns_per_packet", r.cpu_ns_per_packet.value_or(0)},
                           {"forwarder_counters", r.forwarder_doc.value("counters", nlohmann::json())}});
      }
    }
    std::filesystem::remove_all(dir);
    const double relay = median(pps["relay"]);
    nlohmann::json ratios = nlohmann::json::object(), medians = nlohmann::json::object();
    for (const auto& [k, v] : pps) {
      medians[k + " forwarded_pps"] = median(v);
      medians[k + " lost_fraction"] = median(lost[k]);
      if (k != "relay") ratios[k + " / relay"] = relay > 0 ? median(v) / relay : 0.0;
    }
    const double native = ratios.value("xsk_native / relay", 0.0);
    const bool met = native >= 2.0;
    std::cout << nlohmann::json{{"benchmark", "forward"},
                                {"unit", "frames/s forwarded by M (its own count, first to last batch)"},
                                {"reps", reps},
                                {"targets", {{{"target", "xsk_native / relay >= 2.0"},
                                              {"value", native}, {"limit", 2.0}, {"met", met}}}},
                                {"ratios", ratios},
                                {"medians", medians},
                                {"results", results}}
                     .dump(2)
              << '\n';
    return met ? 0 : 3;
  });
}

// Throughput benchmark: 64-byte (default) UDP frames, unpaced, over AF_XDP (native and generic)
// and the socket path, in one run on one topology, printed as JSON with the ratios between the
// paths (this VM is noisy: only ratios within one run are meaningful). With --cross-check it
// repeats each path with the in-kernel cross-check attached to measure its overhead.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "cli/common_options.hpp"
#include "cli/option_checks.hpp"
#include "common/error.hpp"
#include "netns/topology.hpp"
#include "packet/payload_size.hpp"
#include "harness/compare_observer.hpp"
#include "harness/compare_runner.hpp"

namespace {

struct BenchCase {
  std::string label;
  copylab::PairSpec pair;
  copylab::XdpMode xdp_mode;
  bool cross_check;
};

nlohmann::json measure(const copylab::TopologyConfig& topo, const BenchCase& c,
                       copylab::CompareOptions opts, std::uint64_t count, const std::string& dir) {
  opts.xdp_mode = c.xdp_mode;
  opts.backend = c.cross_check ? "auto" : "none";
  auto observer = c.cross_check ? copylab::make_compare_observer(opts, topo) : nullptr;
  const copylab::PhaseSpec phase{"unpaced", count, 0};
  const auto rec =
      copylab::run_compare_phase(topo, c.pair, phase, opts, dir, observer.get(), nullptr);
  const double sent = static_cast<double>(rec.counts.sender.sent.value());
  const double received = static_cast<double>(rec.counts.receiver.received.value());
  return {{"case", c.label},
          {"tx_path", copylab::to_string(c.pair.tx)},
          {"rx_path", copylab::to_string(c.pair.rx)},
          {"xdp_mode", c.pair.rx == copylab::DatapathKind::kAfXdp ? copylab::to_string(c.xdp_mode) : "n/a"},
          {"cross_check", c.cross_check ? observer->status() : nlohmann::json(false)},
          {"payload_size", opts.payload_size},
          {"frames", count},
          {"sent", sent},
          {"received", received},
          {"loss", sent > 0 ? (sent - received) / sent : 0.0},
          {"sent_pps", rec.counts.sender.pps.value()},
          {"received_pps", rec.counts.receiver.pps.value()},
          {"receiver_mode", rec.receiver_doc.value("mode", nlohmann::json::object())}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("copylab throughput benchmark (JSON on stdout)", "copylab_bench_throughput");
  copylab::CommonOptions common;
  copylab::add_common_options(app, common);
  std::uint64_t xdp_count = 2'000'000, sock_count = 400'000;
  std::size_t size = 64;
  bool with_cross_check = false;
  app.add_option("--xdp-count", xdp_count, "Frames per AF_XDP case")->capture_default_str();
  app.add_option("--sock-count", sock_count, "Frames per socket case")->capture_default_str();
  copylab::in_range(app.add_option("--size", size, "UDP payload bytes"), copylab::kMinPayloadSize,
                    copylab::kMaxPayloadSize)
      ->capture_default_str();
  app.add_flag("--cross-check", with_cross_check,
               "Repeat each case with the in-kernel cross-check attached (its overhead)");
  return copylab::run_main(app, argc, argv, common, [&] {
    copylab::CompareOptions opts;
    opts.payload_size = size;
    char tmpl[] = "/tmp/copylab-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) copylab::throw_errno("mkdtemp", tmpl, errno);
    const std::string dir = tmpl;
    auto topo = copylab::Topology::create_unique("bench");
    using copylab::DatapathKind;
    std::vector<BenchCase> cases{
        {"af_xdp native", {DatapathKind::kAfXdp, DatapathKind::kAfXdp}, copylab::XdpMode::kNative, false},
        {"af_xdp generic", {DatapathKind::kAfXdp, DatapathKind::kAfXdp}, copylab::XdpMode::kGeneric, false},
        {"socket", {DatapathKind::kSocket, DatapathKind::kSocket}, copylab::XdpMode::kNative, false}};
    if (with_cross_check) {
      const std::size_t n = cases.size();
      for (std::size_t i = 0; i < n; ++i) {
        BenchCase c = cases[i];
        c.label += " + cross-check";
        c.cross_check = true;
        cases.push_back(c);
      }
    }
    nlohmann::json results = nlohmann::json::array();
    std::map<std::string, double> pps;
    for (const auto& c : cases) {
      const auto count = c.pair.tx == DatapathKind::kAfXdp ? xdp_count : sock_count;
      auto r = measure(topo.config(), c, opts, count, dir);
      pps[c.label] = r["received_pps"].get<double>();
      results.push_back(std::move(r));
    }
    nlohmann::json ratios = nlohmann::json::object();
    const auto ratio = [&](const std::string& a, const std::string& b) {
      if (pps.count(a) && pps.count(b) && pps[b] > 0) ratios[a + " / " + b] = pps[a] / pps[b];
    };
    ratio("af_xdp native", "socket");
    ratio("af_xdp generic", "socket");
    ratio("af_xdp native", "af_xdp generic");
    for (const char* base : {"af_xdp native", "af_xdp generic", "socket"}) {
      ratio(std::string(base) + " + cross-check", base);
    }
    std::filesystem::remove_all(dir);
    std::cout << nlohmann::json{{"benchmark", "throughput"},
                                {"unit", "frames/s received (unique, validated)"},
                                {"results", results},
                                {"ratios", ratios}}
                     .dump(2)
              << '\n';
    return 0;
  });
}

// The cross-check's cost on throughput: the same unpaced run (socket sendmmsg batch 32, and
// AF_XDP native copy mode) without the cross-check, with the tracepoint ledger only, and with
// everything (ledger + stack histograms + payload samples + 4999 Hz cpu-clock sampling),
// interleaved, several repetitions, in one process. Prints JSON; compare the ratios, not the
// absolute numbers (2 shared vCPUs).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/log.hpp"
#include "netns/topology.hpp"
#include "evidence/cross_check.hpp"
#include "evidence/scope.hpp"
#include "trace_test_support.hpp"

using namespace copylab;
using namespace copylab::trace;
using namespace copylab::trace::testing;

namespace {

enum class Level { kOff, kLedger, kFull };
const char* name(Level l) {
  return l == Level::kOff ? "off" : l == Level::kLedger ? "ledger_only" : "full";
}

double run_once(const TopologyConfig& t, bool xdp, Level level, std::uint64_t n) {
  std::optional<CrossCheck> cc;
  if (level != Level::kOff) {
    CrossCheckOptions o;
    o.histograms = o.sampling = o.payload_samples = level == Level::kFull;
    cc.emplace(o);
    ScopeSpec s;
    s.netns_inums = {named_netns_inode(t.ns_a), named_netns_inode(t.ns_b)};
    cc->start(s);
  }
  double pps = 0;
  if (xdp) {
    const XskRun r = run_af_xdp(t, n, true);
    pps = r.seconds > 0 ? static_cast<double>(r.received) / r.seconds : 0;
  } else {
    const UdpRun r = run_udp(t, n, 32);
    pps = r.seconds > 0 ? static_cast<double>(r.received) / r.seconds : 0;
  }
  if (cc) cc->stop();
  return pps;
}

}  // namespace

int main(int argc, char** argv) {
  setup_logging(0);
  spdlog::set_level(spdlog::level::warn);  // the datapaths log their setup at info
  const int reps = argc > 1 ? std::atoi(argv[1]) : 3;
  Topology topo = Topology::create_unique("traceb");
  nlohmann::json out = nlohmann::json::object();
  for (bool xdp : {false, true}) {
    const std::uint64_t n = xdp ? 1'000'000 : 200'000;
    std::map<Level, std::vector<double>> pps;
    for (int rep = 0; rep < reps; ++rep)
      for (Level l : {Level::kOff, Level::kLedger, Level::kFull})
        pps[l].push_back(run_once(topo.config(), xdp, l, n));
    nlohmann::json p = nlohmann::json::object();
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const double base = median(pps[Level::kOff]);
    for (const auto& [l, v] : pps) {
      p[name(l)] = {{"pps_runs", v}, {"pps_median", median(v)},
                    {"ratio_to_off", base > 0 ? median(v) / base : 0}};
    }
    p["frames_per_run"] = n;
    out[xdp ? "af_xdp_native_copy" : "socket_sendmmsg32"] = p;
  }
  std::cout << out.dump(2) << '\n';
  return 0;
}

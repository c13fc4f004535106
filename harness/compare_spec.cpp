#include "harness/compare_spec.hpp"

namespace copylab {

namespace {
PathSpec path_of(PathKind kind, const CompareOptions& opts, int cpu) {
  return kind == PathKind::kAfXdp ? af_xdp_path(opts.xdp_mode).on_cpu(cpu) : socket_path().on_cpu(cpu);
}
}  // namespace

PathSpec sender_path(const PairSpec& pair, const CompareOptions& opts) {
  return path_of(pair.tx, opts, opts.cpu_tx);
}
PathSpec receiver_path(const PairSpec& pair, const CompareOptions& opts) {
  return path_of(pair.rx, opts, opts.cpu_rx);
}

std::string PairSpec::label() const {
  return std::string(to_string(tx)) + "->" + to_string(rx);
}

std::vector<PairSpec> pairs_for(const CompareOptions& opts) {
  std::vector<PairSpec> pairs{{PathKind::kSocket, PathKind::kSocket},
                              {PathKind::kAfXdp, PathKind::kAfXdp}};
  if (opts.all_pairs) {
    pairs.push_back({PathKind::kSocket, PathKind::kAfXdp});
    pairs.push_back({PathKind::kAfXdp, PathKind::kSocket});
  }
  return pairs;
}

std::vector<PhaseSpec> phases_for(const CompareOptions& opts) {
  std::vector<PhaseSpec> phases{{"paced", opts.paced_count, opts.paced_rate}};
  if (!opts.skip_unpaced) phases.push_back({"unpaced", opts.unpaced_count, 0});
  return phases;
}

}  // namespace copylab

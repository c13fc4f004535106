#include "harness/compare_spec.hpp"

namespace copylab {

namespace {
PathSpec path_of(PathKind kind, bool zero_copy, const CompareOptions& opts, int cpu) {
  if (kind == PathKind::kDpdk) return dpdk_path().on_cpu(cpu);
  return kind == PathKind::kAfXdp ? af_xdp_path(opts.xdp_mode).with_zero_copy(zero_copy).on_cpu(cpu)
                                  : socket_path().on_cpu(cpu);
}

std::string side_label(PathKind kind, bool zero_copy) {
  return std::string(to_string(kind)) + (kind == PathKind::kAfXdp && zero_copy ? "_zc" : "");
}
}  // namespace

PathSpec sender_path(const PairSpec& pair, const CompareOptions& opts) {
  return path_of(pair.tx, pair.zero_copy, opts, opts.cpu_tx);
}
PathSpec receiver_path(const PairSpec& pair, const CompareOptions& opts) {
  return path_of(pair.rx, pair.zero_copy, opts, opts.cpu_rx);
}

std::string PairSpec::label() const {
  return side_label(tx, zero_copy) + "->" + side_label(rx, zero_copy);
}

std::vector<PairSpec> pairs_for(const CompareOptions& opts) {
  std::vector<PairSpec> pairs{{PathKind::kSocket, PathKind::kSocket}};
  if (opts.xsk_bind != XskBindChoice::kZeroCopy)
    pairs.push_back({PathKind::kAfXdp, PathKind::kAfXdp, false});
  if (opts.xsk_bind != XskBindChoice::kCopy)
    pairs.push_back({PathKind::kAfXdp, PathKind::kAfXdp, true});
  if (opts.all_pairs) {
    const bool zc = opts.xsk_bind == XskBindChoice::kZeroCopy;
    pairs.push_back({PathKind::kSocket, PathKind::kAfXdp, zc});
    pairs.push_back({PathKind::kAfXdp, PathKind::kSocket, zc});
  }
  if (opts.with_dpdk) {
    pairs.push_back({PathKind::kDpdk, PathKind::kDpdk, false});
    if (opts.all_pairs) {
      const bool zc = opts.xsk_bind == XskBindChoice::kZeroCopy;
      pairs.push_back({PathKind::kAfXdp, PathKind::kDpdk, zc});
      pairs.push_back({PathKind::kDpdk, PathKind::kAfXdp, zc});
    }
  }
  return pairs;
}

std::vector<PhaseSpec> phases_for(const CompareOptions& opts) {
  std::vector<PhaseSpec> phases{{"paced", opts.paced_count, opts.paced_rate}};
  if (!opts.skip_unpaced) phases.push_back({"unpaced", opts.unpaced_count, 0});
  return phases;
}

}  // namespace copylab

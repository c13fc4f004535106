// Copy-site sampling: cpu-clock stack samples (all CPUs) attributed to the kernel's copy routines.
// Evidence of *where* copies run, labelled "sampled": not a count of copies.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace copylab::trace {

struct SampledStack {
  std::vector<std::string> functions;  // innermost first, function names only
  std::uint64_t count = 0;
};

struct CopySiteDef {
  std::string id;
  std::string label;                   // what copy this is
  std::vector<std::string> functions;  // any of these in the stack
  std::vector<std::string> under;      // and one of these further out (empty = any caller)
};

// The copy routines sampled: COPY #1/#4 and the AF_XDP copy-mode kernel copies.
const std::vector<CopySiteDef>& copy_site_defs();

struct CopySite {
  CopySiteDef def;
  std::uint64_t samples = 0;
  double share = 0;  // of all kernel-stack samples
  std::vector<std::pair<std::string, std::uint64_t>> callers;  // frame above the match, top 5
};

struct CopySiteReport {
  int sample_hz = 0;
  std::uint64_t total_samples = 0;   // every sample taken, all CPUs
  std::uint64_t kernel_samples = 0;  // with a kernel stack (in scope, see `scope`)
  std::uint64_t machine_kernel_samples = 0;  // with a kernel stack, any task
  std::uint64_t user_samples = 0;    // interrupted user mode
  std::uint64_t lost_stacks = 0;     // stack map full / collisions
  // Which samples `sites` counts: those whose interrupted task belongs to the experiment (its
  // pids, or a task in its namespaces; on veth the whole datapath, softirqs included, runs in
  // the sender's and receiver's tasks), or every sample when the run is unscoped.
  std::string scope;
  std::vector<CopySite> sites;          // in-scope samples
  std::vector<CopySite> machine_sites;  // every sample on the machine (other work included)

  const CopySite* site(const std::string& id) const;
};

// Counts, for each site, the samples whose stack contains one of its functions (and `under`
// further out when set).
std::vector<CopySite> attribute_copy_sites(const std::vector<SampledStack>& stacks,
                                           std::uint64_t kernel_samples);

nlohmann::json to_json(const CopySiteReport& r);
std::string format_copy_sites(const CopySiteReport& r);

}  // namespace copylab::trace

// Everything one `copylab compare` found, as C++ values: the runs (tool results, kernel counters,
// checks, evidence), what the cross-check was and the copy verdicts drawn from the runs. The text
// report reads these fields; to_json makes the document (report/compare_json adds its schema).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "evidence/verdict.hpp"
#include "harness/compare_runner.hpp"
#include "netns/topology.hpp"

namespace copylab {

// Whether an in-kernel cross-check was attached: what it measures, or why not.
struct ObserverStatus {
  bool attached = false;
  std::string backend;  // attached: what the backend measures and how
  std::string reason;   // not attached: why
};

// The copy verdicts came from a run that lost frames or failed checks.
struct VerdictCaveat {
  long long lost = 0;
  int failed_checks = 0;
  std::string text;  // "from a run with 15,172 lost frames and 1 failed check"
};

// The copy verdicts of a compare: drawn from the socket->socket and af_xdp->af_xdp runs of one
// phase, or not drawn (and why).
struct CopyVerdicts {
  std::optional<trace::VerdictTable> table;
  std::string phase;     // the runs' phase, when drawn
  std::string not_drawn;  // when not drawn: the sentence that says why ("Copy verdicts: ...")
  std::string preamble;   // text printed before the verdicts (the module's per-run counts)
  std::optional<VerdictCaveat> caveat;
  // The dpdk->dpdk run of the same phase against the same socket run: the kernel's side of the
  // net_af_xdp PMD's XSK (its rows read "af_xdp": the PMD is an AF_XDP socket to the kernel).
  // The copies the PMD makes itself, between mbufs and UMEM frames, are in DpdkStatus.
  std::optional<trace::VerdictTable> dpdk_table;

  // The plain-text block (the JSON's "text"): the caveat, the preamble, then the verdicts.
  std::string text() const;
};

// Whether the DPDK pairs ran, why not, and what was measured of the PMD's own mbuf<->UMEM
// copies (one line each; empty when nothing was measured).
struct DpdkStatus {
  bool ran = false;
  std::string reason;  // not run: why, with the fix
  std::vector<std::string> pmd_copies;
};

struct CompareOutcome {
  TopologyConfig topology;
  bool topology_owned = false;
  std::uint64_t payload_bytes = 0;
  ObserverStatus cross_check;
  std::vector<RunRecord> runs;
  CopyVerdicts copies;
  DpdkStatus dpdk;
  std::vector<std::string> notes;
};

nlohmann::json to_json(const ObserverStatus& s);
nlohmann::json to_json(const CopyVerdicts& c);
nlohmann::json to_json(const DpdkStatus& d);
nlohmann::json to_json(const CompareOutcome& o);

}  // namespace copylab

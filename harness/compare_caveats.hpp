// What a reader of `copylab compare` must know before trusting a number: a paced run whose sender
// missed its rate, checks that failed (and the exit code that says so), copy verdicts drawn from
// runs that lost frames or failed checks.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

#include "harness/compare_outcome.hpp"
#include "harness/compare_runner.hpp"

namespace copylab {

// `copylab compare` exits with this when any check against the kernel's counters failed.
inline constexpr int kExitChecksFailed = 4;

// The exit codes of copylab and its subcommands, as `--help` prints them (README "Exit codes").
inline constexpr const char* kExitCodesFooter =
    "Exit codes:\n"
    "  0      done; compare: every check against the kernel's counters agreed\n"
    "  1      a run failed (a system call, a child tool, a write): stderr names it and the fix\n"
    "  2      bad input: an option, a value, a namespace or device that does not exist\n"
    "  3      the kernel lacks a feature asked for (e.g. --backend kmod without kprobes)\n"
    "  4      compare: a check failed; the report lists each and where the lost frames went\n"
    "  128+N  stopped by signal N, after cleaning up: 130 Ctrl-C, 141 SIGPIPE, 143 SIGTERM\n"
    "  hist -- CMD exits with CMD's own status.";

// A paced sender that reached less than this share of its target rate is reported as short.
inline constexpr double kPacingTolerance = 0.10;

// A paced run's rate: what was asked, what the sender reached.
struct Pacing {
  double target_pps = 0;
  double achieved_pps = 0;
  double short_by_pct = 0;  // 0 when it reached the target
  bool missed = false;      // short by more than kPacingTolerance
};

// From the sender's own rate (sent/elapsed); nullopt for an unpaced run or when the sender's
// rate is missing.
std::optional<Pacing> pacing_of(double target_pps, std::optional<double> achieved_pps);
// {target_pps, achieved_pps, short_by_pct, missed}, null when nullopt.
nlohmann::json to_json(const std::optional<Pacing>& p);

// Checks that failed (ok == false) in one run / in every run.
int failed_checks(const RunRecord& run);
int failed_checks(const std::vector<RunRecord>& runs);

// Marks the copy verdicts when a run they were drawn from (the socket->socket and
// af_xdp->af_xdp runs of copies.phase) lost frames or failed checks: sets copies.caveat.
void flag_verdicts(CopyVerdicts& copies, const std::vector<RunRecord>& runs);

}  // namespace copylab

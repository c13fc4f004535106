#include "cli/forwarder_tool.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <string>

#include "cli/common_options.hpp"
#include "cli/help_format.hpp"
#include "cli/option_checks.hpp"
#include "cli/options_traffic.hpp"
#include "cli/sched_fifo.hpp"
#include "common/cli_checks.hpp"
#include "common/clock.hpp"
#include "common/cpu.hpp"
#include "common/stop.hpp"
#include "traffic/run_output.hpp"
#include "traffic/run_report.hpp"
#include "traffic/stop_file_drain.hpp"

namespace copylab {
namespace {

struct ForwardLimits {
  std::uint64_t count = 0;  // 0: until --duration or a signal
  double duration_s = 0;
  bool per_second = true;
  // The harness's end of the run: once this file exists, forward until nothing arrived for
  // drain_s, so what M still holds when the sender finishes reaches B (traffic/stop_file_drain).
  std::string stop_after_file;
  double drain_s = 1.0;
};

struct ForwardResult {
  std::uint64_t forwarded = 0;
  double active_s = 0;  // first to last forwarded batch
  std::string stopped_by;
  double drained_s = 0;  // stop file seen -> exit (0 when never seen)
  double pps() const { return active_s > 0 ? static_cast<double>(forwarded) / active_s : 0; }
};

ForwardResult run_forwarder(Forwarder& fwd, const ForwardLimits& limits, const char* name) {
  constexpr std::uint64_t kSecond = 1'000'000'000ULL;
  const std::uint64_t start = now_ns();
  const auto duration_ns = static_cast<std::uint64_t>(limits.duration_s * 1e9);
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t next_report = start + kSecond;
  std::uint64_t reported = 0;
  StopFileDrain drain(limits.stop_after_file, limits.drain_s);
  ForwardResult r;
  for (;;) {
    const std::uint64_t done = fwd.forwarded();
    if (stop_requested()) {
      r.stopped_by = "signal";
      break;
    }
    if (limits.count != 0 && done >= limits.count) {
      r.stopped_by = "count";
      break;
    }
    const std::uint64_t now = now_ns();
    if (duration_ns != 0 && now - start >= duration_ns) {
      r.stopped_by = "duration";
      break;
    }
    if (limits.per_second && now >= next_report) {
      spdlog::info("{}: forwarded {} in the last second, {} in all", name, done - reported, done);
      reported = done;
      next_report += kSecond;
    }
    const std::size_t max = limits.count != 0 ? static_cast<std::size_t>(limits.count - done)
                                              : std::numeric_limits<std::size_t>::max();
    if (fwd.forward(max) != 0) {
      last = now_ns();
      if (first == 0) first = now;
    } else if (const char* why = drain.idle(now_ns(), last)) {
      r.stopped_by = why;
      break;
    } else {
      fwd.wait(std::chrono::milliseconds(drain.enabled() ? 50 : 100));
    }
  }
  fwd.finish(std::chrono::seconds(1));
  r.drained_s = drain.drained_s(now_ns());
  r.forwarded = fwd.forwarded();
  r.active_s = first != 0 ? static_cast<double>(last - first) / 1e9 : 0;
  return r;
}

}  // namespace

int forwarder_tool_main(int argc, char** argv, const ForwarderToolSpec& spec) {
  CLI::App app(spec.description, spec.name);
  use_help_format(app);
  CommonOptions common;
  RunOutputOptions out;
  ForwardLimits limits;
  int fifo_priority = 0;
  add_common_options(app, common);
  add_run_output_options(app, out);
  in_range<std::uint64_t>(app.add_option("--count", limits.count,
                                         "Stop after forwarding this many frames (0 = until "
                                         "--duration or Ctrl-C)"),
                          0, kMaxCount)
      ->capture_default_str();
  in_range(app.add_option("--duration", limits.duration_s, "Stop after this many seconds (0 = no limit)"),
           0.0, kMaxSeconds)
      ->capture_default_str();
  app.add_flag("!--no-per-second", limits.per_second, "Don't print a stats line every second");
  add_drain_options(app, limits.stop_after_file, limits.drain_s, "");
  add_sched_fifo_option(app, fifo_priority);
  spec.add_options(app);
  return run_main(app, argc, argv, common, [&] {
    check_sched_fifo(fifo_priority, spec.spins());
    pin_current_thread(out.cpu);
    const std::unique_ptr<Forwarder> fwd = spec.make();
    // Set up as SCHED_OTHER; only the forwarding loop runs real-time.
    apply_sched_fifo(fifo_priority);
    const nlohmann::json sched = sched_json();
    if (fifo_priority != 0) {
      spdlog::info("{}: forwarding loop runs as {} priority {}", spec.name,
                   sched["policy"].get<std::string>(), sched["priority"].get<int>());
    }
    signal_ready(out);
    // From ready to the end: the forwarding loop's CPU time, not the setup's.
    const CpuTimes cpu_start = CpuTimes::now();
    const ForwardResult r = run_forwarder(*fwd, limits, spec.name);
    const CpuTimes cpu = CpuTimes::now() - cpu_start;
    spdlog::info("{}: forwarded {} frames in {:.3f} s ({}), stopped by {}", spec.name, r.forwarded,
                 r.active_s, format_rate(r.pps()), r.stopped_by);
    const nlohmann::json doc{{"tool", spec.name},
                             {"pid", getpid()},
                             {"forwarder", fwd->name()},
                             {"mode", fwd->mode()},
                             {"result", {{"forwarded", r.forwarded},
                                         {"active_s", r.active_s},
                                         {"pps", r.pps()},
                                         {"stopped_by", r.stopped_by},
                                         {"drained_s", r.drained_s}}},
                             {"cpu", to_json(cpu)},
                             {"sched", sched},
                             {"counters", fwd->counters()}};
    write_json_result(common.json_file, doc.dump(2) + '\n', spec.name);
    return r.stopped_by == "signal" ? 128 + stop_signal() : 0;
  });
}

}  // namespace copylab

#include "receiver/receiver_tool.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/cli.hpp"
#include "common/cpu.hpp"
#include "common/stop.hpp"
#include "traffic/receiver_loop.hpp"
#include "traffic/run_output.hpp"

namespace copylab {

int receiver_tool_main(int argc, char** argv, const char* name, const char* description,
                       const DatapathBinding& binding) {
  CLI::App app(description, name);
  CommonOptions common;
  TrafficConfig traffic;
  ReceiverLimits limits;
  RunOutputOptions out;
  add_common_options(app, common);
  add_traffic_options(app, traffic, /*sender=*/false);
  add_receiver_limit_options(app, limits);
  add_run_output_options(app, out);
  binding.add_options(app);
  return run_main(app, argc, argv, common, [&] {
    validate(traffic);
    pin_current_thread(out.cpu);
    const auto dp = binding.make(traffic);
    spdlog::info("{}: {} datapath, mode {}", name, dp->name(), dp->mode().dump());
    signal_ready(out);
    const ReceiveResult r = run_receiver(*dp, traffic, limits, [](const SecondStats& s) {
      spdlog::info("{}", format_second(s));
    });
    spdlog::info("{}: received {} frames ({} lost [{}], {} reordered, {} duplicates, {} corrupt) "
                 "in {:.3f} s ({}), stopped by {}",
                 name, r.counts.unique, r.lost, r.loss_from_count ? "vs --count" : "gaps",
                 r.counts.reordered, r.counts.duplicates, r.counts.corrupt, r.active_s,
                 format_rate(r.pps()), r.stopped_by);
    emit_json(out, {{"tool", name},
                    {"pid", getpid()},
                    {"datapath", dp->name()},
                    {"mode", dp->mode()},
                    {"traffic", to_json(traffic)},
                    {"result", to_json(r, traffic)},
                    {"counters", dp->counters()}});
    if (r.stopped_by == "signal") return 128 + stop_signal();
    return 0;
  });
}

}  // namespace copylab

#include "sender/sender_tool.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/cli.hpp"
#include "common/cpu.hpp"
#include "common/stop.hpp"
#include "traffic/run_output.hpp"
#include "traffic/sender_loop.hpp"

namespace copylab {

int sender_tool_main(int argc, char** argv, const char* name, const char* description,
                     const DatapathBinding& binding) {
  CLI::App app(description, name);
  CommonOptions common;
  TrafficConfig traffic;
  RunOutputOptions out;
  add_common_options(app, common);
  add_traffic_options(app, traffic, /*sender=*/true);
  add_run_output_options(app, out);
  add_start_after_option(app, out);
  binding.add_options(app);
  return run_main(app, argc, argv, common, [&] {
    validate(traffic);
    pin_current_thread(out.cpu);
    const auto dp = binding.make(traffic);
    spdlog::info("{}: {} datapath, mode {}", name, dp->name(), dp->mode().dump());
    signal_ready(out);
    wait_for_start(out);
    const SendResult r = run_sender(*dp, traffic);
    spdlog::info("{}: sent {} frames of {} B payload in {:.3f} s ({}), stopped by {}{}", name,
                 r.sent, traffic.payload_size, r.elapsed_s, format_rate(r.pps()), r.stopped_by,
                 r.in_flight_end != 0
                     ? fmt::format(" ({} frames never completed)", r.in_flight_end)
                     : std::string());
    emit_json(out, {{"tool", name},
                    {"pid", getpid()},
                    {"datapath", dp->name()},
                    {"mode", dp->mode()},
                    {"traffic", to_json(traffic)},
                    {"result", to_json(r, traffic)},
                    {"counters", dp->counters()}});
    return stop_requested() && r.stopped_by == "signal" ? 128 + stop_signal() : 0;
  });
}

}  // namespace copylab

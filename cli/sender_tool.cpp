#include "cli/sender_tool.hpp"

#include <spdlog/spdlog.h>

#include "traffic/sender_loop.hpp"

namespace copylab {

int sender_tool_main(int argc, char** argv, const char* name, const char* description,
                     const DatapathBinding& binding) {
  const ToolSpec spec{
      name, description, /*sender=*/true,
      [](CLI::App& app, RunOutputOptions& out) { add_start_after_option(app, out); },
      [name](Datapath& dp, const TrafficConfig& traffic, const RunOutputOptions& out) {
        wait_for_start(out);
        const SendResult r = run_sender(dp, traffic);
        spdlog::info("{}: sent {} frames of {} B payload in {:.3f} s ({}), stopped by {}{}", name,
                     r.sent, traffic.payload_size, r.elapsed_s, format_rate(r.pps()),
                     r.stopped_by,
                     r.in_flight_end != 0
                         ? fmt::format(" ({} frames never completed)", r.in_flight_end)
                         : std::string());
        return ToolLoopResult{to_json(r, traffic), r.stopped_by == "signal"};
      }};
  return datapath_tool_main(argc, argv, spec, binding);
}

}  // namespace copylab

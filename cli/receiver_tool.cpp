#include "cli/receiver_tool.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "traffic/receiver_loop.hpp"

namespace copylab {

int receiver_tool_main(int argc, char** argv, const char* name, const char* description,
                       const DatapathBinding& binding) {
  auto limits = std::make_shared<ReceiverLimits>();
  const ToolSpec spec{
      name, description, /*sender=*/false,
      [limits](CLI::App& app, RunOutputOptions&) { add_receiver_limit_options(app, *limits); },
      [name, limits](Datapath& dp, const TrafficConfig& traffic, const RunOutputOptions&) {
        const ReceiveResult r = run_receiver(dp, traffic, *limits, [](const SecondStats& s) {
          spdlog::info("{}", format_second(s));
        });
        spdlog::info(
            "{}: received {} frames ({} lost [{}], {} reordered, {} duplicates, {} corrupt) in "
            "{:.3f} s ({}), stopped by {}",
            name, r.counts.unique, r.lost, r.loss_from_count ? "vs --count" : "gaps",
            r.counts.reordered, r.counts.duplicates, r.counts.corrupt, r.active_s,
            format_rate(r.pps()), r.stopped_by);
        return ToolLoopResult{to_json(r, traffic), r.stopped_by == "signal"};
      }};
  return datapath_tool_main(argc, argv, spec, binding);
}

}  // namespace copylab

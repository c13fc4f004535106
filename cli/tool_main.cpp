#include "cli/tool_main.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "cli/common_options.hpp"
#include "cli/option_checks.hpp"
#include "cli/sched_fifo.hpp"
#include "common/cpu.hpp"
#include "cli/help_format.hpp"
#include "common/stop.hpp"

namespace copylab {

int datapath_tool_main(int argc, char** argv, const ToolSpec& spec, const DatapathBinding& binding) {
  CLI::App app(spec.description, spec.name);
  use_help_format(app);
  CommonOptions common;
  TrafficConfig traffic;
  RunOutputOptions out;
  add_common_options(app, common);
  // The name these tools used before --json FILE; hidden, kept for existing scripts.
  output_file(app.add_option("--json-file", common.json_file, "Deprecated: use --json FILE"))
      ->group("");
  add_traffic_options(app, traffic, spec.sender);
  add_run_output_options(app, out);
  if (spec.add_options) spec.add_options(app, out);
  binding.add_options(app);
  int fifo_priority = 0;
  if (!spec.sender) add_sched_fifo_option(app, fifo_priority, kReceiverSchedFifoHelp);
  return run_main(app, argc, argv, common, [&] {
    validate(traffic);
    check_sched_fifo(fifo_priority, !binding.spins || binding.spins());
    pin_current_thread(out.cpu);
    const auto dp = binding.make(traffic);
    // Set up as SCHED_OTHER; only the receiving loop runs real-time.
    apply_sched_fifo(fifo_priority);
    // The whole mode object is one long line: -v shows it (the JSON result always holds it).
    spdlog::debug("{}: {} datapath, mode {}", spec.name, dp->name(), dp->mode().dump());
    signal_ready(out);
    const ToolLoopResult r = spec.loop(*dp, traffic, out);
    nlohmann::json doc{{"tool", spec.name},
                       {"pid", getpid()},
                       {"datapath", dp->name()},
                       {"mode", dp->mode()},
                       {"traffic", to_json(traffic)},
                       {"result", r.result},
                       {"counters", dp->counters()}};
    if (!spec.sender) doc["sched"] = sched_json();
    write_json_result(common.json_file, doc.dump(2) + '\n', spec.name);
    return r.stopped_by_signal ? 128 + stop_signal() : 0;
  });
}

}  // namespace copylab

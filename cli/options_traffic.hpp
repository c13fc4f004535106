// The options every sender/receiver tool shares: the traffic (--size --count --duration --rate
// --batch), a receiver's limits, and the run's --cpu, --ready-file and --start-after-file.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "traffic/run_output.hpp"
#include "traffic/traffic_config.hpp"

namespace copylab {

// --size --count --duration --rate (senders) --batch, range-checked while parsing; --size
// against kMinPayloadSize..kMaxPayloadSize (packet/payload_size.hpp).
void add_traffic_options(CLI::App& app, TrafficConfig& cfg, bool sender);
// --idle-timeout --stop-after-file --drain --no-per-second.
void add_receiver_limit_options(CLI::App& app, ReceiverLimits& limits);
// --stop-after-file FILE --drain SEC (traffic/stop_file_drain.hpp), for a tool that takes frames
// in; `until` says what ends the drain besides the quiet period (may be empty).
void add_drain_options(CLI::App& app, std::string& stop_after_file, double& drain_s,
                       const std::string& until);
// --cpu --ready-file.
void add_run_output_options(CLI::App& app, RunOutputOptions& opts);
// --start-after-file (senders).
void add_start_after_option(CLI::App& app, RunOutputOptions& opts);

}  // namespace copylab

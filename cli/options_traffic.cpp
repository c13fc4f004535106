#include "cli/options_traffic.hpp"

#include <cstdint>

#include "cli/option_checks.hpp"
#include "packet/payload_size.hpp"

namespace copylab {

void add_traffic_options(CLI::App& app, TrafficConfig& cfg, bool sender) {
  in_range(app.add_option("--size", cfg.payload_size,
                          "UDP payload bytes, including copylab's 32-byte payload header"),
           kMinPayloadSize, kMaxPayloadSize)
      ->capture_default_str();
  in_range<std::uint64_t>(
      app.add_option("--count", cfg.count,
                     sender ? "Frames to send (0 = until --duration or Ctrl-C)"
                            : "Frames to expect; stop when all arrived (0 = until --duration, "
                              "--idle-timeout or Ctrl-C)"),
      0, kMaxCount)
      ->capture_default_str();
  in_range(app.add_option("--duration", cfg.duration_s, "Stop after this many seconds (0 = no limit)"),
           0.0, kMaxSeconds)
      ->capture_default_str();
  if (sender) {
    in_range(app.add_option("--rate", cfg.rate_pps, "Pace to this many frames per second (0 = unpaced)"),
             0.0, 1e9)
        ->capture_default_str();
  }
  in_range<std::size_t>(
      app.add_option("--batch", cfg.batch, "Frames per datapath call (ring batch / sendmmsg vlen)"),
      1, 1024)
      ->capture_default_str();
}

void add_receiver_limit_options(CLI::App& app, ReceiverLimits& limits) {
  in_range(app.add_option("--idle-timeout", limits.idle_timeout_s,
                           "Stop this many seconds after the last frame arrived (0 = never; not "
                           "used with --stop-after-file, whose drain ends the run once the sender "
                           "has finished)"),
           0.0, kMaxSeconds)
      ->capture_default_str();
  add_drain_options(app, limits.stop_after_file, limits.drain_s, "--count frames are in or ");
  app.add_flag("!--no-per-second", limits.per_second, "Don't print a stats line every second");
}

void add_drain_options(CLI::App& app, std::string& stop_after_file, double& drain_s,
                       const std::string& until) {
  app.add_option("--stop-after-file", stop_after_file,
                 "A harness creates this file when everything before this tool has finished: "
                 "then drain (go on until " + until + "none arrived for --drain seconds) and exit");
  in_range(app.add_option("--drain", drain_s,
                          "With --stop-after-file: seconds without a frame that end the drain "
                          "(the drain lasts at most 10 times this)"),
           0.01, 60.0)
      ->capture_default_str();
}

void add_run_output_options(CLI::App& app, RunOutputOptions& opts) {
  online_cpu(app.add_option("--cpu", opts.cpu, "Pin this tool to this CPU (-1 = don't pin)"), true)
      ->type_name("CPU")
      ->capture_default_str();
  output_file(app.add_option("--ready-file", opts.ready_file,
                             "Create this file once the datapath is set up (for harnesses)"));
}

void add_start_after_option(CLI::App& app, RunOutputOptions& opts) {
  app.add_option("--start-after-file", opts.start_after_file,
                 "Wait until this file exists before sending (for harnesses that attach "
                 "tracing to this process first)");
}

}  // namespace copylab

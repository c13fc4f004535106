#include "traffic/traffic_config.hpp"

#include <cmath>
#include <string>

#include "common/cli_checks.hpp"
#include "common/error.hpp"
#include "packet/payload.hpp"

namespace copylab {

// The largest UDP payload over IPv4: 65535 - 20 (IPv4 header) - 8 (UDP header).
constexpr std::size_t kMaxUdpPayload = 65507;

void add_traffic_options(CLI::App& app, TrafficConfig& cfg, bool sender) {
  in_range(app.add_option("--size", cfg.payload_size,
                          "UDP payload bytes, including copylab's 32-byte payload header"),
           kMinPayloadLen, kMaxUdpPayload)
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
  app.add_option("--stop-after-file", limits.stop_after_file,
                 "A harness creates this file when its sender has finished: then drain (receive "
                 "until --count frames are in or none arrived for --drain seconds) and exit");
  in_range(app.add_option("--drain", limits.drain_s,
                          "With --stop-after-file: seconds without a frame that end the drain "
                          "(the drain lasts at most 10 times this)"),
           0.01, 60.0)
      ->capture_default_str();
  app.add_flag("!--no-per-second", limits.per_second, "Don't print a stats line every second");
}

void validate(const TrafficConfig& cfg) {
  if (cfg.payload_size < kMinPayloadLen) {
    throw Error("--size " + std::to_string(cfg.payload_size) +
                    " is smaller than copylab's payload header (" +
                    std::to_string(kMinPayloadLen) + " bytes)",
                "use --size " + std::to_string(kMinPayloadLen) + " or more", kExitUsage);
  }
  if (cfg.batch == 0 || cfg.batch > 1024) {
    throw Error("--batch " + std::to_string(cfg.batch) + " is out of range",
                "use a batch between 1 and 1024", kExitUsage);
  }
  if (!std::isfinite(cfg.rate_pps) || cfg.rate_pps < 0 || cfg.rate_pps > 1e9) {
    throw Error("--rate " + std::to_string(cfg.rate_pps) + " pps is impossible",
                "use a rate between 1 and 1e9 frames/s, or 0 for unpaced", kExitUsage);
  }
  if (!std::isfinite(cfg.duration_s) || cfg.duration_s < 0) {
    throw Error("--duration must be a non-negative number of seconds",
                "use e.g. --duration 3", kExitUsage);
  }
}

nlohmann::json to_json(const TrafficConfig& cfg) {
  return {{"payload_size", cfg.payload_size},
          {"count", cfg.count},
          {"duration_s", cfg.duration_s},
          {"rate_pps", cfg.rate_pps},
          {"batch", cfg.batch}};
}

}  // namespace copylab

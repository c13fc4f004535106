#include "traffic/traffic_config.hpp"

#include <cmath>
#include <string>

#include "common/error.hpp"

namespace copylab {

void validate(const TrafficConfig& cfg) {
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

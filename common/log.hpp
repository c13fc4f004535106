// Logging: spdlog to stderr. copylab's own messages at info (-v: debug, -vv: trace); libbpf and
// libxdp output is routed into spdlog and shown only at -vv, so probes that are expected to fail
// stay quiet and every failure the user sees is copylab's own one-line error.
#pragma once

namespace copylab {

void setup_logging(int verbosity);
int log_verbosity() noexcept;

}  // namespace copylab

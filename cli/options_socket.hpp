// The classic UDP socket path's command-line options (sock_sender, sock_receiver), bound to a
// SocketConfig.
#pragma once

#include <CLI/CLI.hpp>

#include "sock/socket_config.hpp"

namespace copylab {

// Registers --dev --src-ip --dst-ip --src-port --dst-port --connect --batch --wait
// --busy-poll-usec --busy-poll-budget --rcvbuf --sndbuf --show-addresses on `app`, with the
// defaults of `cfg` shown in --help. Sets cfg.role from `sender` and fills an empty cfg.dev with
// the role's default (veth1 / veth2, the default recipe). A receiver defaults to a 4 MiB rcvbuf.
// --batch is skipped when `app` already has it (the traffic options); copy that value instead.
void add_socket_options(CLI::App& app, SocketConfig& cfg, bool sender);

}  // namespace copylab

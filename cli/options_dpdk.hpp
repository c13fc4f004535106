// The DPDK datapath's command-line options, bound to a DpdkConfig, so dpdk_sender and
// dpdk_receiver need no DPDK knowledge: they call this, then validate() and make_dpdk_datapath().
#pragma once

#include <CLI/CLI.hpp>

#include "dpdk/dpdk_config.hpp"

namespace copylab {

// --dev --queue --wait (spin|busy-poll) --busy-poll-budget --ring-size --mbufs --force-copy
// --eal-args, and the frame options: sender --src-mac --dst-mac --src-ip --dst-ip --src-port
// --dst-port; receiver --dst-port (the flow it keeps). cfg.batch follows the traffic --batch.
void add_dpdk_options(CLI::App& app, DpdkConfig& cfg, bool sender);

}  // namespace copylab

// `copylab hist [--path socket|xdp|both] [--event E] [--scope pids|window] [--json FILE]
// [-- CMD...]`: kernel stack-trace histograms at net:netif_receive_skb, net:net_dev_start_xmit
// and xdp:xdp_redirect in ftrace hist format, scoped to a command or to copylab's own traffic.
#pragma once

#include <CLI/CLI.hpp>

#include "common/cli.hpp"

namespace copylab {

void register_hist_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

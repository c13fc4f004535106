// `copylab hist [--path socket|xdp|both] [--event E] [--scope pids|window] [--json FILE]
// [--hist-trigger auto|off] [--out DIR] [-- CMD...]`: kernel stack-trace histograms at
// net:netif_receive_skb, net:net_dev_start_xmit and xdp:xdp_redirect in ftrace hist format, scoped
// to a command or to copylab's own traffic. Copylab's BPF histograms always run; where the kernel
// has hist triggers, its own histograms (evidence/hist_trigger.hpp) run on the same traffic, are
// printed after each BPF one with their hitcount agreement, and their raw output is saved.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common_options.hpp"

namespace copylab {

// Adds the subcommand to `app` and returns it (the registry adds the common options).
CLI::App* register_hist_command(CLI::App& app, CommonOptions& common);

}  // namespace copylab

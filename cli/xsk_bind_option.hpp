// `--xsk-bind copy|zero-copy|both`, one option with one meaning on every command that runs AF_XDP
// paths (compare, latency), and the check that the devices can bind what it asks for, made
// before any traffic.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "pathspec/path_spec.hpp"

namespace copylab {

// Registers --xsk-bind on `cmd`; `what` completes the help ("AF_XDP bind of ...").
void add_xsk_bind_option(CLI::App& cmd, XskBindChoice& bind, const std::string& what);

// zero-copy|both: both devices must bind XDP_ZEROCOPY on queue 0. `netns`/`devs` empty: the
// command makes its own veth pair, whose driver offers no zero-copy (drivers/net/veth.c advertises
// no NETDEV_XDP_ACT_XSK_ZEROCOPY): refused before anything is made. Reused devices are probed for
// real (a bind, XDP_OPTIONS read back), so a driver without zero-copy gives one line naming the
// device, namespace, driver and errno. Throws Error(kExitUsage); copy: nothing to check.
void check_zero_copy_devices(XskBindChoice bind, const std::vector<std::string>& netns,
                             const std::vector<std::string>& devs, const std::string& command);

}  // namespace copylab

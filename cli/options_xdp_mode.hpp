// The XDP attach mode on the command line, by the names iproute2 (`ip link set ... xdpdrv|
// xdpgeneric`) and xdp-tools (`--mode native|skb`) users type: native or drv, generic or skb,
// auto (native, then generic); case-insensitive. Every option that takes a mode goes through here,
// and here through parse_xdp_mode_or_throw (xdp/xdp_mode.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "xdp/xdp_mode.hpp"  // parse_xdp_mode_or_throw: the one parse with an error

namespace copylab {

// CLI11 transform: checks the value while parsing (a bad one is an OptionError, exit 2) and
// rewrites an alias to its canonical name (drv → native, skb → generic).
CLI::Validator xdp_mode_names(const std::string& option);

// Adds the option `names` ("--mode"); its value is stored in `target`.
CLI::Option* add_xdp_mode_option(CLI::App& app, const std::string& names, XdpMode& target,
                                 const std::string& help);
// The same for a caller that keeps the mode as its canonical name ("native", "generic", "auto").
CLI::Option* add_xdp_mode_option(CLI::App& app, const std::string& names, std::string& target,
                                 const std::string& help);

}  // namespace copylab

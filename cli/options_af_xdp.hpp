// The AF_XDP command-line options, bound to an AfXdpConfig, so xdp_sender/xdp_receiver need no
// AF_XDP knowledge: they call this, then validate() and make_af_xdp_datapath().
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "xdp/af_xdp_config.hpp"

namespace copylab {

// --dev --queue --mode --copy|--zero-copy --need-wakeup/--no-need-wakeup --batch --frame-size
// --frame-count --ring-size --huge-pages --wait --busy-poll-usec --busy-poll-budget
// --force-replace, and the frame options: sender --src-mac --dst-mac --src-ip --dst-ip
// --src-port --dst-port; receiver --dst-port (the port the steering program redirects).
// If the app already has --batch (the traffic options), cfg.batch follows it.
void add_af_xdp_options(CLI::App& app, AfXdpConfig& cfg, bool sender);

// The frame options of a datapath that builds its own Ethernet/IPv4/UDP headers (AF_XDP, the DPDK
// PMD): sender --src-mac --dst-mac --src-ip --dst-ip --src-port --dst-port (addresses checked as
// they are parsed); receiver --dst-port, with `receiver_port_help`. `datapath` names it in the help
// ("no ARP on AF_XDP").
void add_frame_options(CLI::App& app, FrameSpec& f, bool sender, const std::string& datapath,
                       const std::string& receiver_port_help);

}  // namespace copylab

// Kernel software receive timestamps on a UDP socket. SO_TIMESTAMPING with
// SOF_TIMESTAMPING_RX_SOFTWARE (the kernel generates one per skb) | SOF_TIMESTAMPING_SOFTWARE
// (it reports it): every datagram then carries an SCM_TIMESTAMPING control message whose ts[0]
// is the software timestamp, CLOCK_REALTIME, taken by net_timestamp_check() as the skb enters
// the receive path. Used to split one-way latency into kernel and user parts.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "datapath/datapath.hpp"

namespace copylab {

// Control-buffer bytes one datagram needs for its SCM_TIMESTAMPING (with room to spare for a
// second control message the kernel may add).
std::size_t rx_timestamp_control_len() noexcept;

// Turns software RX timestamps on for `fd` and reads the flags back (getsockopt). Throws Error
// naming `dev` when the kernel refuses. The result names the clock and where the kernel takes
// the timestamp (read from net.core.netdev_tstamp_prequeue).
RxTimestamping enable_software_rx_timestamps(int fd, const std::string& dev);

// The software RX timestamp (ns of CLOCK_REALTIME) in a received message's control data, or
// RxMeta::kNone when there is none (timestamping off, MSG_CTRUNC, or the kernel attached none).
std::int64_t software_rx_timestamp_ns(const msghdr& msg) noexcept;

// Where net_timestamp_check() runs for the netdev_tstamp_prequeue setting, in words. The sysctl
// is visible only in the initial network namespace, so it is read once at program start.
std::string software_rx_timestamp_point();

}  // namespace copylab

// The UDP payload sizes copylab sends, in one place. A size is checked once where it enters (the
// option parse, or a spec's validate) against kMinPayloadSize..kMaxPayloadSize, and once the
// device exists against its real MTU (check_payload_fits), by every path that builds traffic.
#pragma once

#include <cstddef>
#include <string>

#include "packet/frame.hpp"
#include "packet/payload.hpp"

namespace copylab {

// The smallest payload: copylab's payload header and nothing more.
inline constexpr std::size_t kMinPayloadSize = kMinPayloadLen;
// The largest UDP payload over IPv4: 65535 - 20 (IPv4 header) - 8 (UDP header).
inline constexpr std::size_t kMaxPayloadSize = 65507;
// What IPv4 (no options) and UDP add to a payload within the MTU.
inline constexpr std::size_t kIpUdpHeaderLen = kIpv4HeaderLen + kUdpHeaderLen;

// The largest payload a device with `mtu` carries without fragmentation (0 below 28).
constexpr std::size_t max_payload_for_mtu(unsigned mtu) noexcept {
  return mtu > kIpUdpHeaderLen ? mtu - kIpUdpHeaderLen : 0;
}

// Throws Error(kExitUsage) "<option> N is outside 32..65507" unless size is within
// kMinPayloadSize..kMaxPayloadSize; for sizes that do not come through a range-checked option
// (a spec built in code, a comma list).
void check_payload_size(const std::string& option, std::size_t size);

// `dev`'s MTU, read in the calling thread's network namespace (ioctl SIOCGIFMTU). Throws Error
// naming the device when it cannot be read (e.g. no such device).
unsigned device_mtu(const std::string& dev);

// Reads `dev`'s MTU (calling thread's namespace) and throws Error(kExitUsage) unless `size` plus
// the IPv4/UDP headers fits it: "--size 2000 plus 28 bytes of IPv4/UDP headers exceeds the MTU
// 1500 of veth1 ...", whose fix names the largest size that fits and how to raise the MTU.
// `option` names where the size came from ("--size", "--sizes").
void check_payload_fits(const std::string& dev, std::size_t size,
                        const std::string& option = "--size");

// The same check against a known MTU, for devices not made yet (the veth pair compare and
// latency make for a run): `what` names them, `raise_hint` says how to get a larger MTU.
void check_payload_fits_mtu(std::size_t size, unsigned mtu, const std::string& what,
                            const std::string& raise_hint, const std::string& option = "--size");

}  // namespace copylab

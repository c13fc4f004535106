// What each network device in the caller's namespace advertises for XDP, read from the kernel
// without touching the device (nothing is attached or bound, so a NIC carrying the machine's own
// traffic is safe to survey): its driver (ETHTOOL_GDRVINFO, xdp/device) and the xdp-features bits of the
// netdev generic-netlink family (NETDEV_CMD_DEV_GET, Linux 6.3 and later; the attribute set is
// Documentation/netlink/specs/netdev.yaml). A driver sets NETDEV_XDP_ACT_XSK_ZEROCOPY when its
// AF_XDP zero-copy path exists (net/core/xdp.c, xdp_set_features_flag).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace copylab::trace {

// include/uapi/linux/netdev.h, enum netdev_xdp_act (not in Debian 12's 6.1 UAPI headers).
inline constexpr std::uint64_t kXdpActBasic = 1;
inline constexpr std::uint64_t kXdpActRedirect = 2;
inline constexpr std::uint64_t kXdpActNdoXmit = 4;
inline constexpr std::uint64_t kXdpActXskZeroCopy = 8;
inline constexpr std::uint64_t kXdpActHwOffload = 16;
inline constexpr std::uint64_t kXdpActRxSg = 32;
inline constexpr std::uint64_t kXdpActNdoXmitSg = 64;

struct NicXdpFeatures {
  std::string name;
  int ifindex = 0;
  std::string driver;  // "" when the device answers no ETHTOOL_GDRVINFO
  std::uint64_t xdp_features = 0;
  std::optional<std::uint32_t> zc_max_segs;  // NETDEV_A_DEV_XDP_ZC_MAX_SEGS (6.6 and later)

  bool native_xdp() const { return (xdp_features & kXdpActBasic) != 0; }
  bool zero_copy() const { return (xdp_features & kXdpActXskZeroCopy) != 0; }
  // "basic", "redirect", "ndo-xmit", "xsk-zerocopy", ... (the netdev.yaml names)
  std::vector<std::string> feature_names() const;
};

struct NicSurvey {
  std::vector<NicXdpFeatures> nics;  // every device but loopback, by ifindex
  std::string unavailable;           // why there is no survey ("" when there is one)
};

// The devices of the caller's network namespace. Never throws: a kernel without the netdev family
// (before 6.3) gives an empty survey whose `unavailable` says so.
NicSurvey survey_nics();

// Decodes one NETDEV_CMD_DEV_GET reply (netlink message bytes) into `out`; false when the message
// is not one (exposed for the unit test).
bool parse_netdev_dev(const void* nlmsg, std::size_t len, NicXdpFeatures& out);

nlohmann::json to_json(const NicSurvey& s);
// One line per device: name, driver, native XDP, AF_XDP zero-copy, the feature names.
std::string format_nic_survey(const NicSurvey& s);

}  // namespace copylab::trace

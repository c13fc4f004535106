#include "evidence/nic_features.hpp"

#include <fmt/format.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.hpp"
#include "xdp/device.hpp"

namespace copylab::trace {
namespace {

// include/uapi/linux/netdev.h: the family, its command and the device attributes.
constexpr const char* kNetdevFamily = "netdev";
constexpr std::uint8_t kNetdevCmdDevGet = 1;
constexpr std::uint16_t kAttrIfindex = 1;
constexpr std::uint16_t kAttrXdpFeatures = 3;
constexpr std::uint16_t kAttrXdpZcMaxSegs = 4;

struct Named {
  std::uint64_t bit;
  const char* name;
};
constexpr Named kFeatureNames[] = {
    {kXdpActBasic, "basic"},       {kXdpActRedirect, "redirect"},
    {kXdpActNdoXmit, "ndo-xmit"},  {kXdpActXskZeroCopy, "xsk-zerocopy"},
    {kXdpActHwOffload, "hw-offload"}, {kXdpActRxSg, "rx-sg"},
    {kXdpActNdoXmitSg, "ndo-xmit-sg"}};

struct MnlSocket {
  mnl_socket* s = nullptr;
  ~MnlSocket() {
    if (s != nullptr) mnl_socket_close(s);
  }
};

// One request, its replies fed to `cb` until the kernel's NLMSG_DONE / ACK. Returns 0 or -errno.
int transact(mnl_socket* nl, nlmsghdr* req, mnl_cb_t cb, void* data) {
  const unsigned int portid = mnl_socket_get_portid(nl);
  if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) return -errno;
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) return -errno;
    const int rc = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), req->nlmsg_seq, portid, cb,
                              data);
    if (rc < 0) return -errno;
    if (rc == MNL_CB_STOP) return 0;
  }
}

nlmsghdr* genl_request(char* buf, std::uint16_t family, std::uint8_t cmd, std::uint16_t flags,
                       std::uint32_t seq) {
  nlmsghdr* h = mnl_nlmsg_put_header(buf);
  h->nlmsg_type = family;
  h->nlmsg_flags = NLM_F_REQUEST | flags;
  h->nlmsg_seq = seq;
  auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(h, sizeof(genlmsghdr)));
  g->cmd = cmd;
  g->version = 1;
  return h;
}

// The attributes of one generic-netlink message, by type (the last of each type wins).
struct Attrs {
  static constexpr std::uint16_t kMax = 16;
  const nlattr* at[kMax + 1] = {};
};

int collect_attr(const nlattr* a, void* data) {
  auto* attrs = static_cast<Attrs*>(data);
  const std::uint16_t type = mnl_attr_get_type(a);
  if (type <= Attrs::kMax) attrs->at[type] = a;
  return MNL_CB_OK;
}

bool parse_attrs(const nlmsghdr* h, Attrs& out) {
  return mnl_attr_parse(h, sizeof(genlmsghdr), collect_attr, &out) >= 0;
}

int family_id_cb(const nlmsghdr* h, void* data) {
  Attrs attrs;
  const nlattr* id = parse_attrs(h, attrs) ? attrs.at[CTRL_ATTR_FAMILY_ID] : nullptr;
  if (id != nullptr && mnl_attr_validate(id, MNL_TYPE_U16) >= 0)
    *static_cast<std::uint16_t*>(data) = mnl_attr_get_u16(id);
  return MNL_CB_OK;
}

int dev_cb(const nlmsghdr* h, void* data) {
  auto* nics = static_cast<std::vector<NicXdpFeatures>*>(data);
  NicXdpFeatures n;
  if (parse_netdev_dev(h, h->nlmsg_len, n)) nics->push_back(std::move(n));
  return MNL_CB_OK;
}

}  // namespace

std::vector<std::string> NicXdpFeatures::feature_names() const {
  std::vector<std::string> out;
  for (const Named& f : kFeatureNames) {
    if ((xdp_features & f.bit) != 0) out.emplace_back(f.name);
  }
  return out;
}

bool parse_netdev_dev(const void* nlmsg, std::size_t len, NicXdpFeatures& out) {
  if (len < sizeof(nlmsghdr) + sizeof(genlmsghdr)) return false;
  const auto* h = static_cast<const nlmsghdr*>(nlmsg);
  if (h->nlmsg_len > len || h->nlmsg_len < sizeof(nlmsghdr) + sizeof(genlmsghdr)) return false;
  Attrs attrs;
  if (!parse_attrs(h, attrs)) return false;
  const nlattr* index = attrs.at[kAttrIfindex];
  if (index == nullptr || mnl_attr_validate(index, MNL_TYPE_U32) < 0) return false;
  out.ifindex = static_cast<int>(mnl_attr_get_u32(index));
  if (const nlattr* f = attrs.at[kAttrXdpFeatures]) {
    if (mnl_attr_validate(f, MNL_TYPE_U64) < 0) return false;
    out.xdp_features = mnl_attr_get_u64(f);
  }
  if (const nlattr* z = attrs.at[kAttrXdpZcMaxSegs]) {
    if (mnl_attr_validate(z, MNL_TYPE_U32) < 0) return false;
    out.zc_max_segs = mnl_attr_get_u32(z);
  }
  return true;
}

NicSurvey survey_nics() {
  NicSurvey survey;
  MnlSocket nl;
  nl.s = mnl_socket_open(NETLINK_GENERIC);
  if (nl.s == nullptr || mnl_socket_bind(nl.s, 0, MNL_SOCKET_AUTOPID) < 0) {
    survey.unavailable = fmt::format("generic netlink socket: {}", std::strerror(errno));
    return survey;
  }
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  std::uint32_t seq = static_cast<std::uint32_t>(::getpid());
  nlmsghdr* req = genl_request(buf.data(), GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK, ++seq);
  mnl_attr_put_strz(req, CTRL_ATTR_FAMILY_NAME, kNetdevFamily);
  std::uint16_t family = 0;
  if (const int rc = transact(nl.s, req, family_id_cb, &family); rc < 0 || family == 0) {
    survey.unavailable =
        rc == -ENOENT || family == 0
            ? "this kernel has no netdev netlink family (xdp-features are reported from Linux 6.3)"
            : fmt::format("CTRL_CMD_GETFAMILY(netdev): {}", std::strerror(-rc));
    return survey;
  }
  req = genl_request(buf.data(), family, kNetdevCmdDevGet, NLM_F_DUMP, ++seq);
  if (const int rc = transact(nl.s, req, dev_cb, &survey.nics); rc < 0) {
    survey.unavailable = fmt::format("NETDEV_CMD_DEV_GET dump: {}", std::strerror(-rc));
    survey.nics.clear();
    return survey;
  }
  std::erase_if(survey.nics, [](NicXdpFeatures& n) {
    char name[IF_NAMESIZE] = {};
    if (::if_indextoname(static_cast<unsigned>(n.ifindex), name) == nullptr) return true;
    n.name = name;
    return n.name == "lo";
  });
  for (NicXdpFeatures& n : survey.nics) {
    try {
      n.driver = query_device(n.name).driver;
    } catch (const Error&) {
      n.driver.clear();  // gone since the dump: the driver stays unknown
    }
  }
  return survey;
}

nlohmann::json to_json(const NicSurvey& s) {
  nlohmann::json nics = nlohmann::json::array();
  for (const NicXdpFeatures& n : s.nics) {
    nics.push_back({{"name", n.name},
                    {"ifindex", n.ifindex},
                    {"driver", n.driver},
                    {"xdp_features", n.feature_names()},
                    {"native_xdp", n.native_xdp()},
                    {"xsk_zero_copy", n.zero_copy()},
                    {"zc_max_segs", n.zc_max_segs ? nlohmann::json(*n.zc_max_segs)
                                                  : nlohmann::json(nullptr)}});
  }
  return {{"source", "netdev netlink xdp-features (advertised by the driver; nothing attached)"},
          {"devices", std::move(nics)},
          {"unavailable", s.unavailable}};
}

std::string format_nic_survey(const NicSurvey& s) {
  std::string out =
      "Network devices here, as their drivers advertise them (netdev netlink xdp-features; "
      "nothing attached):\n";
  if (!s.unavailable.empty()) return out + "  not available: " + s.unavailable + "\n";
  if (s.nics.empty()) return out + "  none but loopback\n";
  out += fmt::format("  {:<16} {:<14} {:<11} {:<17} {}\n", "device", "driver", "native XDP",
                     "AF_XDP zero-copy", "xdp-features");
  for (const NicXdpFeatures& n : s.nics) {
    const auto names = n.feature_names();
    out += fmt::format("  {:<16} {:<14} {:<11} {:<17} {}\n", n.name,
                       n.driver.empty() ? "?" : n.driver, n.native_xdp() ? "yes" : "no",
                       n.zero_copy() ? "yes" : "no",
                       names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
  }
  return out;
}

}  // namespace copylab::trace

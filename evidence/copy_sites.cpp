#include "evidence/copy_sites.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace copylab::trace {

const std::vector<CopySiteDef>& copy_site_defs() {
  static const std::vector<CopySiteDef> kDefs = {
      {"copy_from_iter", "COPY #1 user -> kernel (_copy_from_iter in a socket send)",
       {"_copy_from_iter"}, {"udp_sendmsg", "udpv6_sendmsg", "tcp_sendmsg_locked"}},
      {"copy_to_iter", "COPY #4 kernel -> user (_copy_to_iter in a socket receive)",
       // Not skb_copy_datagram_iter: netlink (libbpf's XDP attach) copies through it too.
       {"_copy_to_iter"}, {"udp_recvmsg", "udpv6_recvmsg", "tcp_recvmsg_locked"}},
      {"skb_store_bits", "AF_XDP TX copy mode: UMEM -> skb (memcpy under skb_store_bits)",
       {"skb_store_bits"}, {}},
      {"xsk_rcv", "AF_XDP RX copy mode: xdp_buff -> UMEM (__xsk_rcv)", {"__xsk_rcv"}, {}},
      {"skb_pp_cow_data", "native veth XDP headroom copy: skb -> page_pool (skb_copy_bits)",
       {"skb_pp_cow_data"}, {}},
      {"pskb_expand_head", "generic XDP headroom copy (pskb_expand_head)", {"pskb_expand_head"},
       {}},
      {"memcpy", "any kernel memcpy (callers below)", {"memcpy", "__memcpy", "__pi_memcpy"}, {}},
  };
  return kDefs;
}

std::vector<CopySite> attribute_copy_sites(const std::vector<SampledStack>& stacks,
                                           std::uint64_t kernel_samples) {
  std::vector<CopySite> out;
  for (const CopySiteDef& def : copy_site_defs()) {
    CopySite site{def, 0, 0, {}};
    std::map<std::string, std::uint64_t> callers;
    for (const SampledStack& s : stacks) {
      const auto& fs = s.functions;
      auto hit = std::find_if(fs.begin(), fs.end(), [&](const std::string& f) {
        return std::find(def.functions.begin(), def.functions.end(), f) != def.functions.end();
      });
      if (hit == fs.end()) continue;
      if (!def.under.empty() && std::find_first_of(hit, fs.end(), def.under.begin(),
                                                   def.under.end()) == fs.end())
        continue;
      site.samples += s.count;
      // The caller: the first frame above the match that is not another alias of it.
      auto up = std::next(hit);
      while (up != fs.end() &&
             std::find(def.functions.begin(), def.functions.end(), *up) != def.functions.end())
        ++up;
      callers[up == fs.end() ? "?" : *up] += s.count;
    }
    if (kernel_samples > 0)
      site.share = static_cast<double>(site.samples) / static_cast<double>(kernel_samples);
    site.callers.assign(callers.begin(), callers.end());
    std::sort(site.callers.begin(), site.callers.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    if (site.callers.size() > 5) site.callers.resize(5);
    out.push_back(std::move(site));
  }
  return out;
}

const CopySite* CopySiteReport::site(const std::string& id) const {
  for (const CopySite& s : sites)
    if (s.def.id == id) return &s;
  return nullptr;
}

nlohmann::json to_json(const CopySiteReport& r) {
  nlohmann::json sites = nlohmann::json::array();
  for (const CopySite& s : r.sites) {
    nlohmann::json callers = nlohmann::json::array();
    for (const auto& [name, n] : s.callers) callers.push_back({{"caller", name}, {"samples", n}});
    sites.push_back({{"id", s.def.id},
                     {"label", s.def.label},
                     {"functions", s.def.functions},
                     {"samples", s.samples},
                     {"share", s.share},
                     {"callers", std::move(callers)}});
  }
  nlohmann::json machine = nlohmann::json::array();
  for (const CopySite& s : r.machine_sites)
    machine.push_back({{"id", s.def.id}, {"samples", s.samples}, {"share", s.share}});
  return {{"measured", "sampled (stack profile)"},
          {"sample_hz", r.sample_hz},
          {"total_samples", r.total_samples},
          {"kernel_samples", r.kernel_samples},
          {"machine_kernel_samples", r.machine_kernel_samples},
          {"machine_sites", std::move(machine)},
          {"user_samples", r.user_samples},
          {"lost_stacks", r.lost_stacks},
          {"scope", r.scope},
          {"sites", std::move(sites)}};
}

std::string format_copy_sites(const CopySiteReport& r) {
  std::string out = fmt::format(
      "Copy sites (sampled: cpu-clock {} Hz on all CPUs, {} samples, {} in user mode, {} kernel "
      "stacks machine-wide, {} in scope: {})\n",
      r.sample_hz, r.total_samples, r.user_samples, r.machine_kernel_samples, r.kernel_samples,
      r.scope);
  for (const CopySite& s : r.sites) {
    out += fmt::format("  {:<17} {:>7} samples {:>6.2f}%  {}\n", s.def.id, s.samples,
                       100.0 * s.share, s.def.label);
    for (const auto& [name, n] : s.callers) out += fmt::format("      <- {:<40} {:>7}\n", name, n);
  }
  return out;
}

}  // namespace copylab::trace

// Read-back of what the AF_XDP datapath actually got (mode) and what it and the kernel counted.
#include <sys/socket.h>

#include "xdp/af_xdp_datapath_impl.hpp"

namespace copylab::afxdp_detail {
namespace {

int get_int_sockopt(int fd, int opt) {
  int value = -1;
  socklen_t len = sizeof(value);
  if (getsockopt(fd, SOL_SOCKET, opt, &value, &len) != 0) return -1;
  return value;
}

}  // namespace

nlohmann::json AfXdpDatapath::mode() const {
  nlohmann::json j;
  j["datapath"] = "af_xdp";
  j["dev"] = cfg_.dev;
  j["ifindex"] = dev_.ifindex;
  j["queue"] = cfg_.queue;
  j["rx"] = cfg_.rx;
  j["tx"] = cfg_.tx;
  if (steer_) {
    j["xdp_attach"] = to_string(steer_->attached_mode());
    j["xdp_mode_requested"] = to_string(cfg_.mode);
    j["xdp_prog_id"] = steer_->prog_id();
    j["dispatcher"] = steer_->dispatcher();
    j["steered_udp_port"] = cfg_.steered_port();
  } else {
    j["xdp_attach"] = "none";
    j["dispatcher"] = "none: a TX-only socket needs no XDP program";
  }
  j["bind"] = xsk_->zero_copy() ? "zero-copy" : "copy";
  j["need_wakeup"] = cfg_.need_wakeup;  // bind accepted XDP_USE_NEED_WAKEUP
  j["wait"] = to_string(cfg_.wait);
  if (cfg_.wait == WaitPolicy::kBusyPoll) {
    // Read back; null where this kernel can't report it (SO_BUSY_POLL_BUDGET is set-only on
    // some kernels), with the value copylab set next to it.
    auto readback = [this](int opt) -> nlohmann::json {
      const int v = get_int_sockopt(xsk_->fd(), opt);
      return v >= 0 ? nlohmann::json(v) : nlohmann::json(nullptr);
    };
    j["busy_poll"] = {{"so_busy_poll_usec", readback(SO_BUSY_POLL)},
                      {"so_prefer_busy_poll", readback(SO_PREFER_BUSY_POLL)},
                      {"so_busy_poll_budget", readback(SO_BUSY_POLL_BUDGET)},
                      {"so_busy_poll_budget_set", cfg_.busy_poll_budget}};
  } else {
    j["busy_poll"] = nullptr;
  }
  j["batch"] = cfg_.batch;
  j["rings"] = {{"rx", cfg_.rx ? cfg_.ring_size : 0},
                {"tx", cfg_.tx ? cfg_.ring_size : 0},
                {"fill", umem_->config().fill_size},
                {"completion", umem_->config().comp_size}};
  j["umem"] = {{"frame_size", umem_->config().frame_size},
               {"frame_count", umem_->config().frame_count},
               {"huge_pages", umem_->huge_pages()},
               {"rx_frames", rx_frames_},
               {"tx_frames", tx_frames_}};
  return j;
}

nlohmann::json AfXdpDatapath::counters() const {
  nlohmann::json j;
  j["xdp_statistics"] = xsk_->statistics_json();
  j["steer"] = steer_ ? steer_->counters_json() : nlohmann::json(nullptr);
  j["rx_frames"] = stats_.rx_frames;
  j["rx_bytes"] = stats_.rx_bytes;
  j["rx_parse_failures"] = stats_.rx_parse_failures;
  j["udp_csum_partial"] = stats_.udp_csum_partial;
  j["ip_csum_bad"] = stats_.ip_csum_bad;
  j["udp_csum_bad"] = stats_.udp_csum_bad;
  j["rx_wakeups"] = stats_.rx_wakeups;
  j["fill_ring_short"] = stats_.fill_ring_short;
  j["tx_frames"] = stats_.tx_frames;
  j["tx_kicks"] = stats_.tx_kicks;
  j["tx_kicks_again"] = stats_.tx_kicks_again;
  j["tx_completions"] = stats_.tx_completions;
  j["echoed"] = stats_.echoed;
  if (rx_stamps_) {
    j["rx_meta"] = {{"stamped", stats_.rx_meta_stamped},
                    {"missing", stats_.rx_meta_missing},
                    {"no_room", stats_.rx_meta_no_room}};
  }
  const FrameAllocator& f = umem_->frames();
  j["frames"] = {{"free", f.count(FramePlace::kFree)},
                 {"fill", f.count(FramePlace::kFill)},
                 {"rx", f.count(FramePlace::kRx)},
                 {"tx", f.count(FramePlace::kTx)}};
  return j;
}

}  // namespace copylab::afxdp_detail

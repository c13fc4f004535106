#include "latency/sides.hpp"

#include <chrono>
#include <string_view>
#include <thread>

#include "common/error.hpp"

#include "sock/socket_config.hpp"
#include "sock/socket_datapath.hpp"
#include "xdp/af_xdp_config.hpp"
#include "xdp/af_xdp_datapath.hpp"

namespace copylab {

namespace {

[[maybe_unused]] constexpr int kBusyRetries = 50;  // x 100 ms

std::unique_ptr<Datapath> make_socket_side(const SideSpec& spec, const SideContext& ctx) {
  const TopologyConfig& t = *ctx.topo;
  SocketConfig cfg;
  cfg.role = ctx.role == PingPongRole::kPing ? SocketRole::kSender : SocketRole::kReceiver;
  cfg.dev = ctx.role == PingPongRole::kPing ? t.dev_a : t.dev_b;
  cfg.src_ip = t.ip_a.str();
  cfg.dst_ip = t.ip_b.str();
  cfg.src_port = kPingPort;
  cfg.dst_port = ctx.port;
  // One datagram per syscall (sendto/recvfrom), as sockperf and the hand-written probes do:
  // batching buys nothing with one ping in flight and adds recvmmsg bookkeeping.
  cfg.batch = 1;
  // Connected: no route lookup per datagram, and the pong accepts only the ping's address.
  cfg.connect = true;
  cfg.wait = spec.path.wait();
  cfg.payload_size = ctx.payload_len;
  validate(cfg, ctx.payload_len);
  return make_socket_datapath(cfg);
}

std::unique_ptr<Datapath> make_af_xdp_side(const SideSpec& spec, const SideContext& ctx) {
  const TopologyConfig& t = *ctx.topo;
  const bool ping = ctx.role == PingPongRole::kPing;
  AfXdpConfig cfg;
  cfg.dev = ping ? t.dev_a : t.dev_b;
  cfg.mode = spec.path.xdp_mode();
  cfg.need_wakeup = spec.path.need_wakeup();
  cfg.zero_copy = spec.path.zero_copy();
  cfg.wait = spec.path.wait();
  cfg.payload_size = ctx.payload_len;
  cfg.batch = 16;
  cfg.frame.src_mac = ping ? t.mac_a : t.mac_b;
  cfg.frame.dst_mac = ping ? t.mac_b : t.mac_a;
  cfg.frame.src_ip = ping ? t.ip_a : t.ip_b;
  cfg.frame.dst_ip = ping ? t.ip_b : t.ip_a;
  cfg.frame.src_port = ping ? kPingPort : ctx.port;
  cfg.frame.dst_port = ping ? ctx.port : kPingPort;
  cfg.steer_port = ping ? kPingPort : ctx.port;  // a pinger steers its echoes
  validate(cfg, ctx.payload_len);
  return make_af_xdp_datapath(cfg);
}

std::unique_ptr<Datapath> build_side_datapath(const SideSpec& spec, const SideContext& ctx) {
  switch (spec.kind()) {
    case SideKind::kSocket:
      return make_socket_side(spec, ctx);
    case SideKind::kAfXdp:
      // The kernel frees a closed XSK's buffer pool from a workqueue, so the previous run's
      // socket can hold the queue for a moment after close(): EBUSY right then is transient.
      for (int attempt = 1;; ++attempt) {
        try {
          return make_af_xdp_side(spec, ctx);
        } catch (const Error& e) {
          if (attempt >= kBusyRetries ||
              std::string_view(e.what()).find("EBUSY") == std::string_view::npos) {
            throw;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    case SideKind::kXdpTxReflector:
    case SideKind::kDpdk:
      break;
  }
  throw Error(std::string("a ") + to_string(spec.kind()) + " side has no datapath to build here",
              "run the XDP_TX reflector as XdpReflector and a DPDK side through run_tool_sides, "
              "not through make_side_datapath");
}

}  // namespace

std::unique_ptr<Datapath> make_side_datapath(const SideSpec& spec, const SideContext& ctx) {
  std::unique_ptr<Datapath> dp = build_side_datapath(spec, ctx);
  if (ctx.rx_timestamps) dp->enable_rx_timestamps();
  return dp;
}

}  // namespace copylab

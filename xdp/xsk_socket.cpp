#include "xdp/xsk_socket.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "common/error.hpp"
#include "xdp/device.hpp"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

namespace copylab {
namespace {

[[noreturn]] void throw_create_error(const XskOptions& o, int err) {
  const std::string where = o.dev + " queue " + std::to_string(o.queue);
  if (o.zero_copy && err == EOPNOTSUPP) {
    std::string driver;
    try {
      driver = query_device(o.dev).driver;
    } catch (const Error&) {
      // the refusal below is the error to report; the driver stays unknown
    }
    throw Error("zero-copy not supported by " + where + " (driver " +
                    (driver.empty() ? std::string("unknown") : driver) +
                    "; xsk_socket__create with XDP_ZEROCOPY: EOPNOTSUPP)",
                "use --copy (copylab doctor lists which devices advertise AF_XDP zero-copy)",
                kExitUnsupported);
  }
  if (err == EINVAL || err == ENODEV) {
    const DeviceInfo info = query_device(o.dev);
    if (info.rx_queues != 0 && o.queue >= info.rx_queues) {
      throw Error("queue " + std::to_string(o.queue) + " doesn't exist on " + o.dev + " (it has " +
                      std::to_string(info.rx_queues) + " RX queue" +
                      (info.rx_queues == 1 ? "" : "s") + "; xsk_socket__create: " +
                      errno_text(err) + ")",
                  "use --queue 0" + (info.rx_queues > 1 ? ".." + std::to_string(info.rx_queues - 1) : std::string()) +
                      " (ethtool -l " + o.dev + ")",
                  kExitUsage);
    }
  }
  if (err == EBUSY) {
    throw_errno("xsk_socket__create", where, err,
                "another AF_XDP socket is bound to this queue; stop it or use another --queue");
  }
  if (err == EPERM) throw_errno("xsk_socket__create", where, err, "run as root (CAP_NET_RAW)");
  throw_errno("xsk_socket__create", where, err,
              "check the device is up and --ring-size/--frame-size are valid");
}

}  // namespace

XskSocket::XskSocket(Umem& umem, const XskOptions& opts)
    : XskSocket(umem, opts, &umem.fill_ring(), &umem.completion_ring()) {}

XskSocket::XskSocket(Umem& umem, const XskOptions& opts, XskUmemRings& own_rings)
    : XskSocket(umem, opts, &own_rings.fill, &own_rings.comp) {}

XskSocket::XskSocket(Umem& umem, const XskOptions& opts, xsk_ring_prod* fill, xsk_ring_cons* comp)
    : opts_(opts) {
  xsk_socket_config cfg{};
  cfg.rx_size = opts.rx ? opts.rx_size : 0;
  cfg.tx_size = opts.tx ? opts.tx_size : 0;
  cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  cfg.xdp_flags = 0;
  cfg.bind_flags = static_cast<__u16>((opts.zero_copy ? XDP_ZEROCOPY : XDP_COPY) |
                                      (opts.need_wakeup ? XDP_USE_NEED_WAKEUP : 0));
  int ret = 0;
  // A socket just closed on this queue releases it asynchronously (deferred pool cleanup), so a
  // quick rerun can see EBUSY for a moment: retry briefly before calling it a conflict.
  for (int attempt = 0;; ++attempt) {
    ret = xsk_socket__create_shared(&xsk_, opts.dev.c_str(), opts.queue, umem.handle(),
                                    opts.rx ? &rx_ : nullptr, opts.tx ? &tx_ : nullptr, fill,
                                    comp, &cfg);
    if (ret != -EBUSY || attempt == 20) break;
    spdlog::debug("xsk_socket__create on {} queue {}: EBUSY, retrying", opts.dev, opts.queue);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (ret != 0) {
    xsk_ = nullptr;
    throw_create_error(opts, -ret);
  }
  if (fd() != xsk_umem__fd(umem.handle())) shared_umem_fd_ = xsk_umem__fd(umem.handle());
  xdp_options xo{};
  socklen_t len = sizeof(xo);
  if (getsockopt(fd(), SOL_XDP, XDP_OPTIONS, &xo, &len) == 0) {
    zero_copy_ = (xo.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  } else {
    spdlog::debug("getsockopt(XDP_OPTIONS) on {}: {}", opts.dev, errno_text(errno));
  }
}

XskSocket::~XskSocket() {
  if (xsk_ != nullptr) xsk_socket__delete(xsk_);
}

int XskSocket::fd() const noexcept { return xsk_socket__fd(xsk_); }

void XskSocket::register_in(int xsks_map_fd) {
  const int ret = xsk_socket__update_xskmap(xsk_, xsks_map_fd);
  if (ret != 0) {
    throw_errno("xsk_socket__update_xskmap", opts_.dev + " queue " + std::to_string(opts_.queue),
                -ret);
  }
}

xdp_statistics XskSocket::statistics() const {
  xdp_statistics st{};
  socklen_t len = sizeof(st);
  if (getsockopt(fd(), SOL_XDP, XDP_STATISTICS, &st, &len) != 0) {
    throw_errno("getsockopt(XDP_STATISTICS)", opts_.dev, errno);
  }
  return st;
}

nlohmann::json XskSocket::statistics_json() const {
  const xdp_statistics st = statistics();
  return {{"rx_dropped", st.rx_dropped},
          {"rx_invalid_descs", st.rx_invalid_descs},
          {"tx_invalid_descs", st.tx_invalid_descs},
          {"rx_ring_full", st.rx_ring_full},
          {"rx_fill_ring_empty_descs", st.rx_fill_ring_empty_descs},
          {"tx_ring_empty_descs", st.tx_ring_empty_descs}};
}

}  // namespace copylab

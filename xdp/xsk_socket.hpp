// One AF_XDP socket bound to a device queue over a Umem: RX and/or TX rings, copy or zero-copy,
// need_wakeup. It never loads an XDP program itself (INHIBIT_PROG_LOAD): the steering program
// is copylab's to attach and detach, and a TX-only socket needs none. The bind mode is read
// back from the kernel (XDP_OPTIONS), not assumed from what was asked.
#pragma once

#include <linux/if_xdp.h>
#include <nlohmann/json.hpp>
#include <xdp/xsk.h>

#include <cstdint>
#include <string>

#include "umem/umem.hpp"

namespace copylab {

struct XskOptions {
  std::string dev;
  std::uint32_t queue = 0;
  bool rx = true;
  bool tx = true;
  std::uint32_t rx_size = 2048;
  std::uint32_t tx_size = 2048;
  bool zero_copy = false;  // false: XDP_COPY
  bool need_wakeup = true;
};

// The fill and completion rings a socket brings when it shares a UMEM on another device or
// queue: the kernel keeps one pair per device/queue (net/xdp/xsk.c xsk_bind: a shared bind to
// a different device or queue needs the socket's own fill and completion rings). They must
// outlive the socket.
struct XskUmemRings {
  xsk_ring_prod fill{};
  xsk_ring_cons comp{};
};

class XskSocket {
 public:
  // The UMEM's first socket: bound with its own flags (copy/zero-copy, need_wakeup).
  XskSocket(Umem& umem, const XskOptions& opts);
  // A further socket on `umem` (another device or queue), with its own fill/completion rings:
  // libxdp's xsk_socket__create_shared binds it with XDP_SHARED_UMEM and sxdp_shared_umem_fd =
  // the UMEM's fd, which is the first socket's fd. Copy/zero-copy and need_wakeup are the
  // first socket's (the kernel takes them from the shared UMEM; opts.zero_copy/need_wakeup are
  // not used).
  XskSocket(Umem& umem, const XskOptions& opts, XskUmemRings& own_rings);
  XskSocket(const XskSocket&) = delete;
  XskSocket& operator=(const XskSocket&) = delete;
  ~XskSocket();

  int fd() const noexcept;
  xsk_ring_cons* rx() noexcept { return opts_.rx ? &rx_ : nullptr; }
  xsk_ring_prod* tx() noexcept { return opts_.tx ? &tx_ : nullptr; }
  const XskOptions& options() const noexcept { return opts_; }

  // Puts this socket into the steering program's XSKMAP at its queue index.
  void register_in(int xsks_map_fd);
  // From getsockopt(XDP_OPTIONS): true if the kernel bound it zero-copy.
  bool zero_copy() const noexcept { return zero_copy_; }
  xdp_statistics statistics() const;
  nlohmann::json statistics_json() const;
  // This socket's fd differs from the UMEM's: libxdp bound it with XDP_SHARED_UMEM.
  bool shared_umem_bind() const noexcept { return shared_umem_fd_ >= 0; }
  // The fd it was bound to with XDP_SHARED_UMEM (the UMEM's first socket); -1 for a first socket.
  int shared_umem_fd() const noexcept { return shared_umem_fd_; }

 private:
  XskSocket(Umem& umem, const XskOptions& opts, xsk_ring_prod* fill, xsk_ring_cons* comp);

  XskOptions opts_;
  xsk_ring_cons rx_{};
  xsk_ring_prod tx_{};
  xsk_socket* xsk_ = nullptr;
  bool zero_copy_ = false;
  int shared_umem_fd_ = -1;
};

}  // namespace copylab

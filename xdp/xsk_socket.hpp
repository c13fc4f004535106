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

class XskSocket {
 public:
  XskSocket(Umem& umem, const XskOptions& opts);
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

 private:
  XskOptions opts_;
  xsk_ring_cons rx_{};
  xsk_ring_prod tx_{};
  xsk_socket* xsk_ = nullptr;
  bool zero_copy_ = false;
};

}  // namespace copylab

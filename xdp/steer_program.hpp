// The steering program on one device, for the life of this object: loaded from the embedded
// skeleton with the experiment's UDP port in rodata, attached through libxdp (native, generic,
// or auto = native then generic), read back from the kernel, and detached on every exit path.
// Refuses to touch a device where someone else's XDP program sits unless force_replace is set;
// a copylab program no process holds any more (its run was killed) is detached instead.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "xdp/xdp_mode.hpp"
#include "common/run_registry.hpp"
#include "xdp/netns_anchor.hpp"
#include "xdp/steer_abi.h"
#include "xdp/xdp_mode.hpp"
#include "xdp/xdp_query.hpp"

struct steer;  // the generated skeleton
struct xdp_program;

namespace copylab {

class BpffsMount;

struct SteerOptions {
  std::string dev;
  int ifindex = 0;
  XdpMode mode = XdpMode::kAuto;
  std::uint16_t dst_port = 9999;
  bool force_replace = false;
  bool offer_force_replace = false;  // name --force-replace in the refusal's fix
};

using SteerCounters = std::array<std::uint64_t, STEER_COUNTER_MAX>;

class SteerProgram {
 public:
  explicit SteerProgram(const SteerOptions& opts);
  // Throws the refusal (someone else's program is on the device) without changing anything, so a
  // datapath can check before it binds a socket. With force_replace it only checks the query works.
  static void check_device_free(const SteerOptions& opts);
  SteerProgram(const SteerProgram&) = delete;
  SteerProgram& operator=(const SteerProgram&) = delete;
  ~SteerProgram();

  int xsks_map_fd() const;
  std::uint32_t prog_id() const noexcept { return prog_id_; }
  // Read back from the kernel after attaching.
  XdpAttachMode attached_mode() const noexcept { return attached_; }
  // How it is attached: "single program: libxdp multiprog dispatcher refused by this kernel", ...
  const std::string& dispatcher() const noexcept { return dispatcher_; }
  // Turns the RX timestamp in the XDP metadata area (struct steer_rx_meta) on or off for frames
  // steered from now on, and reads the switch back from the kernel's map. Throws on failure.
  void set_rx_stamping(bool on);
  bool rx_stamping() const noexcept { return rx_stamping_; }
  // Per-CPU counters summed over CPUs.
  SteerCounters counters() const;
  nlohmann::json counters_json() const;

 private:
  void refuse_or_replace_existing();
  bool attach_libxdp(XdpMode mode, int& err);
  bool attach_libbpf(XdpMode mode, int& err);
  void open_skeleton();  // skel_ = a fresh steer object with dst_port set
  void detach() noexcept;

  SteerOptions opts_;
  NetnsAnchor netns_;
  std::shared_ptr<BpffsMount> bpffs_;
  steer* skel_ = nullptr;
  xdp_program* xdp_prog_ = nullptr;  // set when attached through libxdp
  XdpMode attached_with_ = XdpMode::kAuto;
  XdpAttachMode attached_ = XdpAttachMode::kNone;
  std::uint32_t prog_id_ = 0;
  std::string dispatcher_;
  bool rx_stamping_ = false;
  OwnedState record_;  // in this run's record from before the attach until the detach
};

}  // namespace copylab

// The AF_XDP datapath's class, shared by its two source files: the frame-moving operations
// (af_xdp_datapath.cpp) and the read-back of mode and counters (af_xdp_report.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "datapath/datapath.hpp"
#include "packet/frame.hpp"
#include "umem/umem.hpp"
#include "xdp/af_xdp_config.hpp"
#include "xdp/device.hpp"
#include "xdp/steer_program.hpp"
#include "xdp/xsk_socket.hpp"

namespace copylab::afxdp_detail {

struct DatapathStats {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_parse_failures = 0;
  std::uint64_t udp_csum_partial = 0;  // UDP checksum is CHECKSUM_PARTIAL's pseudo-header sum
  // Frames the kernel's receive path would drop (InCsumErrors), handed on as corrupt: a wrong
  // IPv4 header checksum, else (header fine) a wrong UDP checksum. Each frame counts once.
  std::uint64_t ip_csum_bad = 0;
  std::uint64_t udp_csum_bad = 0;
  std::uint64_t rx_wakeups = 0;
  std::uint64_t fill_ring_short = 0;   // fill ring had no room for a recycled frame
  std::uint64_t tx_frames = 0;
  std::uint64_t tx_kicks = 0;
  std::uint64_t tx_kicks_again = 0;    // EAGAIN/EBUSY/ENOBUFS: the kernel wants another kick
  std::uint64_t tx_completions = 0;
  std::uint64_t echoed = 0;
  // RX timestamps on (enable_rx_timestamps): frames read with and without a steer_rx_meta.
  std::uint64_t rx_meta_stamped = 0;
  std::uint64_t rx_meta_missing = 0;  // no magic in front of the data: the program stamped none
  std::uint64_t rx_meta_no_room = 0;  // descriptor offset left no room for it inside the frame
};

class AfXdpDatapath final : public Datapath {
 public:
  explicit AfXdpDatapath(const AfXdpConfig& cfg);

  std::string_view name() const override { return "af_xdp"; }
  std::size_t send(std::size_t n, PayloadFill fill) override;
  std::size_t flush() override;
  std::size_t receive(std::size_t max, PayloadSink sink) override;
  bool wait_rx(std::chrono::milliseconds timeout) override;
  std::size_t echo(std::size_t max, PayloadSink seen) override;
  RxTimestamping enable_rx_timestamps() override;
  std::size_t receive_with_meta(std::size_t max, PayloadMetaSink sink) override;
  std::size_t echo_with_meta(std::size_t max, PayloadMetaSink seen) override;
  nlohmann::json mode() const override;
  nlohmann::json counters() const override;

 private:
  std::uint32_t tx_pending_in_ring();
  void kick_tx();
  void reap_completions();
  void refill_rx();
  void wake_rx_if_needed();
  // Recycles RX frames straight back to the fill ring (to free if it has no room).
  void recycle(std::span<const std::uint64_t> addrs);
  bool rx_available() { return xsk_cons_nb_avail(xsk_->rx(), 1) != 0; }
  // The bodies of receive/echo; `sink` gets RxMeta read from the UMEM frame when stamping is on.
  std::size_t receive_frames(std::size_t max, PayloadMetaSink sink);
  std::size_t echo_frames(std::size_t max, PayloadMetaSink seen);
  // The steering program's stamp in front of the frame at `d` (clears it so a reused frame never
  // shows a stale one); empty RxMeta, counted, when it isn't there.
  RxMeta take_rx_meta(const xdp_desc& d);
  // Counts the frame's checksum verdict; false when the kernel would drop it (then the frame is
  // handed on as corrupt).
  bool accept_checksums(const ParsedFrame& parsed);

  AfXdpConfig cfg_;
  DeviceInfo dev_;
  std::unique_ptr<Umem> umem_;
  std::unique_ptr<XskSocket> xsk_;
  std::unique_ptr<SteerProgram> steer_;  // declared last: detached first
  std::uint32_t rx_frames_ = 0;
  std::uint32_t tx_frames_ = 0;
  std::uint16_t ip_id_ = 0;
  std::vector<std::uint64_t> scratch_;  // addresses of one batch
  std::vector<std::uint32_t> scratch_len_;
  DatapathStats stats_;
  bool rx_stamps_ = false;  // enable_rx_timestamps() turned the steering program's stamp on
};

}  // namespace copylab::afxdp_detail

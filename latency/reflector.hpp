// RAII owner of one attachment of reflect.bpf.c: either the XDP_TX reflector on the pong device
// or the pass-through the peer device needs for XDP_TX into a veth to be delivered. Construct and
// destroy it on a thread inside the device's namespace (ifindex and netlink are per namespace).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "common/run_registry.hpp"
#include "latency/modes.hpp"

struct latency_reflect;

namespace copylab {

class XdpReflector {
 public:
  enum class Role { kReflect, kPeerPassThrough };

  // Loads and attaches; refuses (Error) to replace a program someone else attached or a live
  // copylab run holds; detaches a stale copylab program (its run was killed) first.
  XdpReflector(std::string dev, XdpMode mode, Role role, std::uint16_t udp_port);
  ~XdpReflector();
  XdpReflector(const XdpReflector&) = delete;
  XdpReflector& operator=(const XdpReflector&) = delete;

  // Read back from the kernel: attach mode, program id and name on the device.
  nlohmann::json mode() const;
  // Per-CPU counters summed: reflected / passed / peer_passed.
  nlohmann::json counters() const;

 private:
  std::string dev_;
  XdpMode mode_;
  Role role_;
  unsigned ifindex_ = 0;
  std::uint32_t flags_ = 0;
  int prog_fd_ = -1;
  latency_reflect* skel_ = nullptr;
  OwnedState record_;  // in this run's record from before the attach until the detach
};

}  // namespace copylab

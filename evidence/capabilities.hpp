// What this kernel offers to copylab, each probed for real (a load, an attach, a bind, a write to
// a private tracefs instance), never guessed from the version. Expected failures are silent and
// become evidence ("EPERM at BPF_PROG_LOAD"). `copylab doctor` prints it; the cross-check uses it
// to choose its backends.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "evidence/nic_features.hpp"

namespace copylab::trace {

struct Capability {
  std::string id;        // "fentry", "xdp_native", ...
  std::string label;     // "fentry/fexit BPF (trampolines)"
  bool ok = false;
  std::string evidence;  // what the probe did and what the kernel answered
};

struct DeviceCapabilities {
  std::string device;
  std::string netns;      // "" = the caller's
  bool temporary = false; // a veth pair made in a throw-away namespace for the probe
  std::vector<Capability> items;  // xdp_native, xdp_generic, xsk_copy, xsk_zerocopy, need_wakeup
  const Capability* find(const std::string& id) const;
};

struct Capabilities {
  std::vector<Capability> items;
  std::vector<DeviceCapabilities> devices;
  // What every device of the probed namespace advertises (read only; with the device probes).
  std::optional<NicSurvey> nics;
  std::string hist_stack_key;  // "common_stacktrace" or "stacktrace" when hist triggers exist

  const Capability* find(const std::string& id) const;
  bool has(const std::string& id) const;
};

struct ProbeOptions {
  std::string device;  // probe XDP/AF_XDP on this device ("" = a temporary veth pair)
  std::string netns;   // the device's named namespace ("" = current)
  bool devices = true; // false: skip the XDP/AF_XDP device probes
};

Capabilities probe_capabilities(const ProbeOptions& opts);

// The single probes CrossCheck also uses (cheap, silent).
Capability probe_fentry();
Capability probe_kprobes();
Capability probe_hist_triggers(std::string* stack_key);
// The hist stack key's name by kernel version (uname), for when no trigger could be probed:
// "common_stacktrace" from 6.5 on, "stacktrace" before.
std::string hist_stack_key_for_kernel();

// Which cross-check backends follow from the capabilities.
struct BackendPlan {
  std::string name;
  bool available = false;
  std::string why;
};
std::vector<BackendPlan> plan_backends(const Capabilities& caps);
// The zero-copy sentence: what the device probes showed and what ZC needs.
std::string zero_copy_note(const Capabilities& caps);

nlohmann::json to_json(const Capabilities& caps);
std::string format_capabilities(const Capabilities& caps);

}  // namespace copylab::trace

#include "cli/xsk_bind_option.hpp"

#include <fmt/format.h>

#include "cli/option_checks.hpp"
#include "common/error.hpp"
#include "evidence/device_probe.hpp"
#include "netns/netns_scope.hpp"
#include "xdp/device.hpp"

namespace copylab {

void add_xsk_bind_option(CLI::App& cmd, XskBindChoice& bind, const std::string& what) {
  cmd.add_option_function<std::string>(
         "--xsk-bind",
         [&bind](const std::string& s) {
           const auto b = parse_xsk_bind(s);
           if (!b) {
             throw OptionError(Error("--xsk-bind " + s + ": not a bind mode",
                                     "give copy, zero-copy or both", kExitUsage));
           }
           bind = *b;
         },
         "AF_XDP bind of " + what +
             ": copy (XDP_COPY), zero-copy (XDP_ZEROCOPY; the devices' driver must offer it) or "
             "both (once per bind, same traffic)")
      ->type_name("BIND")
      ->default_str("copy");
}

void check_zero_copy_devices(XskBindChoice bind, const std::vector<std::string>& netns,
                             const std::vector<std::string>& devs, const std::string& command) {
  if (bind == XskBindChoice::kCopy) return;
  const std::string option = std::string("--xsk-bind ") + to_string(bind);
  if (netns.empty()) {
    throw Error(option + ": the veth pair " + command +
                    " makes has no AF_XDP zero-copy (the veth driver offers none)",
                "use --xsk-bind copy, or run on devices whose driver binds XDP_ZEROCOPY with "
                "--netns A,B --dev X,Y (copylab doctor lists which of this machine's do)",
                kExitUsage);
  }
  for (std::size_t i = 0; i < netns.size() && i < devs.size(); ++i) {
    const std::string& ns = netns[i];
    const std::string& dev = devs[i];
    const trace::DeviceCapabilities d = trace::probe_device(dev, ns);
    const trace::Capability* zc = d.find("xsk_zerocopy");
    if (zc != nullptr && zc->ok) continue;
    const std::string driver = [&] {
      const NetnsScope in(ns);
      return query_device(dev).driver;
    }();
    throw Error(fmt::format("{}: {} in {} (driver {}) cannot bind AF_XDP zero-copy on queue 0 ({})",
                            option, dev, ns, driver.empty() ? "unknown" : driver,
                            zc != nullptr ? zc->evidence : "not probed"),
                "use --xsk-bind copy here; zero-copy needs a driver with XDP_ZEROCOPY (copylab "
                "doctor lists which of this machine's devices offer it)",
                kExitUsage);
  }
}

}  // namespace copylab

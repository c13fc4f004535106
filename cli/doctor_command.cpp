#include <iostream>
#include <memory>

#include "cli/doctor_command.hpp"

#include "common/error.hpp"
#include "kmod/backend/kmod_availability.hpp"
#include "evidence/capabilities.hpp"

namespace copylab {
namespace {

using namespace trace;

struct DoctorOptions {
  std::string dev;
  std::string netns;
  bool no_device = false;
};

int run_doctor(const DoctorOptions& o, const CommonOptions& common) {
  if (!o.netns.empty() && o.dev.empty())
    throw Error("--netns needs --dev", "name the device in that namespace: --dev <if> --netns <ns>",
                kExitUsage);
  ProbeOptions p;
  p.device = o.dev;
  p.netns = o.netns;
  p.devices = !o.no_device;
  const Capabilities caps = probe_capabilities(p);
  // The kprobe module backend has its own check (kmod/), built on these capabilities.
  const kmod::KmodAvailability kmod_backend = kmod::kmod_availability(caps, "");
  const std::string kmod_name = "kprobe module copyprobe (copylab compare --backend kmod)";
  std::cout << format_capabilities(caps) << '\n' << kmod_name << ": "
            << kmod::format_kmod_availability(kmod_backend) << '\n';
  if (!common.json_file.empty()) {
    nlohmann::json j = to_json(caps);
    j["backends"].push_back({{"name", kmod_name},
                             {"available", kmod_backend.available},
                             {"why", kmod::format_kmod_availability(kmod_backend)}});
    j["kmod_backend"] = kmod::to_json(kmod_backend);
    write_json_result(common.json_file, j.dump(2) + '\n', "doctor");
  }
  return 0;
}

}  // namespace

CLI::App* register_doctor_command(CLI::App& app, CommonOptions& common) {
  auto opts = std::make_shared<DoctorOptions>();
  CLI::App* sub = app.add_subcommand(
      "doctor",
      "What this kernel allows (BPF, BTF, tp_btf, fentry, kprobes, modules, hist triggers, perf, "
      "XDP native/generic, AF_XDP copy/zero-copy...), each probed for real, and which cross-check "
      "backends follow");
  sub->add_option("--dev", opts->dev,
                  "Probe XDP/AF_XDP on this device (default: a temporary veth pair in temporary "
                  "namespaces, removed afterwards)")
      ->type_name("<if>");
  sub->add_option("--netns", opts->netns, "Namespace of --dev (default: the current one)")
      ->type_name("<ns>");
  sub->add_flag("--no-device", opts->no_device, "Skip the XDP/AF_XDP device probes");
  sub->callback([opts, &common] { finish_command(run_doctor(*opts, common)); });
  return sub;
}

}  // namespace copylab

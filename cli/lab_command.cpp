#include "cli/lab_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/child_process.hpp"
#include "cli/option_checks.hpp"
#include "common/error.hpp"

namespace copylab {
namespace {

struct LabOptions {
  std::string bin_dir;
  std::string work_dir;
  std::string cache_dir;
  std::string report;
  std::string only;
  std::string kernel = "6.1";
  unsigned count = 1000;
  unsigned flood = 100000;
  unsigned size = 200;
  unsigned timeout_s = 600;
  bool standin = false;
};

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> lab_argv(const LabOptions& o) {
  std::vector<std::string> argv = {COPYLAB_LAB_SCRIPT,    "--kernel", o.kernel, "--bin-dir", o.bin_dir,
                                   "--work-dir",          o.work_dir,  "--count",
                                   std::to_string(o.count), "--flood",   std::to_string(o.flood),
                                   "--size",              std::to_string(o.size),
                                   "--timeout",           std::to_string(o.timeout_s)};
  if (!o.cache_dir.empty()) argv.insert(argv.end(), {"--cache-dir", o.cache_dir});
  if (!o.report.empty()) argv.insert(argv.end(), {"--report", o.report});
  if (!o.only.empty()) argv.insert(argv.end(), {"--only", o.only});
  if (o.standin) argv.emplace_back("--standin");
  return argv;
}

// Copies what the child appended to its log since `offset` to stdout (the lab's progress and,
// at the end, its verdict summary and the report's path), so the user sees the run live although the child writes to a file.
std::streamoff stream_new_output(const std::string& log, std::streamoff offset) {
  std::ifstream in(log, std::ios::binary);
  if (!in) return offset;
  in.seekg(offset);
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::cout << chunk << std::flush;
  return offset + static_cast<std::streamoff>(chunk.size());
}

int run_lab_script(const LabOptions& o, const std::string& log) {
  ChildProcess lab = ChildProcess::start(lab_argv(o), log);
  std::streamoff shown = 0;
  // On a stop request the script gets SIGTERM (SIGKILL 3 s later); its last words still show.
  return lab.wait_or_stop(std::chrono::milliseconds(250),
                          [&] { shown = stream_new_output(log, shown); }, std::chrono::seconds(3));
}

int run_lab(LabOptions o, const CommonOptions& common) {
  if (o.bin_dir.empty()) o.bin_dir = self_bin_dir();
  if (o.work_dir.empty()) o.work_dir = o.bin_dir + "/../kmod-lab";
  if (!is_dir(o.bin_dir))
    throw Error("--bin-dir " + o.bin_dir + " is not a directory",
                "point it at copylab's build output, e.g. --bin-dir build/bin", kExitUsage);
  if (::access(COPYLAB_LAB_SCRIPT, X_OK) != 0)
    throw_errno("access", COPYLAB_LAB_SCRIPT, errno,
                "the lab script ships in copylab's source tree (kmod/lab/run.sh); rebuild from it");
  ::mkdir(o.work_dir.c_str(), 0755);
  const std::string log = o.work_dir + "/lab.log";
  const int rc = run_lab_script(o, log);
  write_json_result(common.json_file,
                    nlohmann::json{{"tool", "copylab lab"},
                                   {"exit_code", rc},
                                   {"work_dir", o.work_dir},
                                   {"log", log},
                                   {"report", o.report.empty() ? o.work_dir + "/report.txt" : o.report}}
                            .dump(2) +
                        '\n',
                    "lab");
  return rc;
}

}  // namespace

CLI::App* register_lab_command(CLI::App& app, CommonOptions& common) {
  auto o = std::make_shared<LabOptions>();
  CLI::App* sub = app.add_subcommand(
      "lab",
      "Kernel lab: boot Debian's stock 6.1 kernel under qemu (KVM if available, else TCG) with "
      "copylab's kprobe module (COPY1/COPY2/COPY4 and the AF_XDP copy sites), real ftrace hist "
      "triggers and copylab's own tools; assert the copy counts inside the guest and print the "
      "verdict summary and the report's path. Downloads ~100 MB of Debian packages once (apt-get download, nothing installed)");
  sub->add_option("--bin-dir", o->bin_dir, "copylab's binaries to run in the guest (default: "
                                           "the directory of this copylab)");
  sub->add_option("--work-dir", o->work_dir, "Build output, console log and report "
                                             "(default: <bin-dir>/../kmod-lab)");
  sub->add_option("--cache-dir", o->cache_dir,
                  "Package cache (default: $COPYLAB_LAB_CACHE or ~/.cache/copylab-lab)");
  sub->add_option("--report", o->report, "Report file (default: <work-dir>/report.txt)");
  sub->add_option("--kernel", o->kernel,
                  "Guest kernel: 6.1 (Debian 12), 6.12 (Debian 13, with two virtio-net NICs) or "
                  "7.3 (Debian 13 backports, the same NICs; its virtio_net binds AF_XDP zero-copy)")
      ->check(CLI::IsMember({"6.1", "6.12", "7.3"}))
      ->capture_default_str();
  sub->add_option("--only", o->only, "Comma-separated experiments: env,socket,xdp,flood,bpf");
  in_range(sub->add_option("--count", o->count, "Datagrams per experiment"), 1u, 1000000u)
      ->capture_default_str();
  in_range(sub->add_option("--flood", o->flood, "Datagrams in the flood experiment"), 1u,
           10000000u)
      ->capture_default_str();
  in_range(sub->add_option("--size", o->size, "UDP payload bytes"), 40u, 1400u)
      ->capture_default_str();
  in_range(sub->add_option("--timeout", o->timeout_s, "Stop qemu after this many seconds"), 30u,
           7200u)
      ->capture_default_str();
  sub->add_flag("--standin", o->standin,
                "Run the socket experiments with the lab's stand-in UDP tool when sock_sender/"
                "sock_receiver are missing (marked [stand-in]; default: SKIP them)");
  sub->callback([o, &common] { finish_command(run_lab(*o, common)); });
  return sub;
}

}  // namespace copylab

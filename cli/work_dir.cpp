#include "cli/work_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <filesystem>

#include "common/error.hpp"
#include "common/output_file.hpp"

namespace copylab {

WorkDir::WorkDir(const CompareOptions& o, const std::string& what)
    : keep_(o.keep_logs || !o.work_dir.empty()) {
  if (!o.work_dir.empty()) {
    path_ = o.work_dir;
    std::filesystem::create_directories(path_);
  } else {
    std::string tmpl = temp_dir() + "/copylab-" + what + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) throw_errno("mkdtemp", tmpl, errno);
    path_ = tmpl;
  }
  // A temporary one is in the run's record: a killed run's is removed by the next run.
  if (!keep_) record_ = record_owned({{"kind", "work_dir"}, {"path", path_}});
}

WorkDir::~WorkDir() {
  if (!keep_) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

// The record stays until the WorkDir goes: a run killed between keep() and its end (e.g. a
// harness killing a failed child and then the run) never said where its logs are, and the next
// run reclaims the directory as any killed run's. Once the run ends, it is the user's.
void WorkDir::keep() { keep_ = true; }

}  // namespace copylab

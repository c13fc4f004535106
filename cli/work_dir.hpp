// The work directory of a compare or forward run: --work-dir (kept), or a temporary one that is
// removed at the end unless kept (--keep-logs, or keep() when a run failed and its logs matter).
// A temporary one is in the run's record (common/run_registry.hpp) until the WorkDir goes, kept or
// not: the next run removes the directory of a run that was killed.
#pragma once

#include <string>

#include "common/run_registry.hpp"
#include "harness/compare_spec.hpp"

namespace copylab {

class WorkDir {
 public:
  // `what` names the temporary directory: <tmp>/copylab-<what>-XXXXXX.
  explicit WorkDir(const CompareOptions& o, const std::string& what = "compare");
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }
  void keep();

 private:
  std::string path_;
  bool keep_;
  OwnedState record_;
};

}  // namespace copylab

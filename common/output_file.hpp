// Writing a run's results at its end without losing them: the file is replaced atomically
// (written beside it, then renamed), and when that fails (disk full, directory removed during
// the run...) the results go to a fallback file whose name the error carries.
#pragma once

#include <string>

namespace copylab {

// Writes `text` to `path` through `path`.tmp and rename(2). Throws Error naming the call and errno.
void write_file_atomic(const std::string& path, const std::string& text);

// $TMPDIR when set and non-empty, else /tmp.
std::string temp_dir();

// Where results go when their own path cannot be written: $TMPDIR (else /tmp)
// /copylab-<what>-<pid>.json.
std::string fallback_results_path(const std::string& what);

// Writes `text` to `path`; on failure saves it to fallback_results_path(what) and throws Error
// (exit 1): "Couldn't write <label> <path>: <errno>; the results were saved to <fallback>
// instead" (or "and could not be saved to <fallback> either: <errno>"). Call it after the
// report has been printed, so a failed write never hides the report.
void write_results(const std::string& label, const std::string& path, const std::string& text,
                   const std::string& what);

}  // namespace copylab

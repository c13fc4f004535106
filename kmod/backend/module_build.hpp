// Builds copyprobe.ko against the running kernel's build tree with Kbuild (make -C
// /lib/modules/<release>/build M=<dir> modules), once per kernel release: the result is cached in
// $XDG_CACHE_HOME/copylab-kmod/<release> (default ~/.cache/...) and rebuilt only when the
// sources changed. Output goes to build.log there; a failure names it.
#pragma once

#include <string>

namespace copylab::kmod {

// kmod/ in copylab's source tree (Kbuild, copyprobe*.c, copyprobe.h).
std::string copyprobe_source_dir();

// Returns the path of copyprobe.ko for `release`, building it if the cache is stale. Throws
// Error (naming build.log) when make fails; polls stop_requested() while make runs.
std::string build_copyprobe(const std::string& release);
// The same against an explicit kernel build tree (the lab's extracted Debian headers, a
// cross-built kernel): `release` names the cache directory only.
std::string build_copyprobe(const std::string& release, const std::string& kernel_build_tree);

}  // namespace copylab::kmod

// Checks for the capabilities a tool needs before it touches the kernel, so a non-root run gets
// one line naming the missing capability instead of an EPERM from deep inside libbpf.
#pragma once

#include <string_view>

namespace copylab {

enum class Privilege { kNetAdmin, kBpf, kPerfmon, kSysAdmin, kNetRaw, kSysModule };

bool has_capability(Privilege p);
// Throws Error("<tool> needs CAP_X to <why>", "run it as root (sudo ...)").
void require_capability(Privilege p, std::string_view why);

}  // namespace copylab

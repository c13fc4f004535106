// CPU pinning with a clear error for a CPU that does not exist or is offline.
#pragma once

namespace copylab {

// Pins the calling thread to `cpu`; -1 means "leave unpinned". Throws Error naming valid CPUs.
void pin_current_thread(int cpu);
int online_cpu_count();

}  // namespace copylab

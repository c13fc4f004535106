// SIGINT/SIGTERM/SIGHUP/SIGPIPE handling: the handler only sets a flag (and interrupts blocking
// calls, since it is installed without SA_RESTART); loops poll stop_requested() and unwind
// normally, so every RAII owner of a kernel resource runs its destructor.
#pragma once

#include <sys/types.h>

namespace copylab {

void install_stop_handlers();
bool stop_requested() noexcept;
int stop_signal() noexcept;  // the signal that asked us to stop, 0 if none
// The shell convention for a run ended by that signal: 128 + signal (130 when stopped otherwise).
int stop_exit_code() noexcept;
void request_stop() noexcept;

// In a forked child before exec: default dispositions again (a flag-only handler would swallow
// a SIGTERM meant to stop the child before its exec).
void reset_stop_handlers_in_child() noexcept;
// In a forked child before exec: SIGTERM when `parent` (the forking process) dies, so a child
// tool never runs on as an orphan after its parent was killed. The kernel sends it when the
// forking *thread* exits: fork from a thread that outlives the child (e.g. the main thread). Exits the child at once when
// the parent is already gone. Async-signal-safe.
void die_with_parent(pid_t parent) noexcept;

}  // namespace copylab

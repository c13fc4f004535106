// SIGINT/SIGTERM handling: the handler only sets a flag (and interrupts blocking calls, since it
// is installed without SA_RESTART); loops poll stop_requested() and unwind normally, so every
// RAII owner of a kernel resource runs its destructor.
#pragma once

namespace copylab {

void install_stop_handlers();
bool stop_requested() noexcept;
int stop_signal() noexcept;  // the signal that asked us to stop, 0 if none
// The shell convention for a run ended by that signal: 128 + signal (130 when stopped otherwise).
int stop_exit_code() noexcept;
void request_stop() noexcept;

}  // namespace copylab

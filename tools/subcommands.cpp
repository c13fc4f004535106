#include "tools/subcommands.hpp"

#ifdef COPYLAB_HAVE_TRACE
#include "trace/doctor_command.hpp"
#include "trace/hist_command.hpp"
#endif
#ifdef COPYLAB_HAVE_LATENCY
#include "latency/latency_command.hpp"
#endif
#ifdef COPYLAB_HAVE_LAB
#include "kmod/lab_command.hpp"
#endif

namespace copylab {

void register_component_commands(CLI::App& app, CommonOptions& common) {
#ifdef COPYLAB_HAVE_TRACE
  register_doctor_command(app, common);
  register_hist_command(app, common);
#endif
#ifdef COPYLAB_HAVE_LATENCY
  register_latency_command(app, common);
#endif
#ifdef COPYLAB_HAVE_LAB
  register_lab_command(app, common);
#endif
  (void)app;
  (void)common;
}

}  // namespace copylab

#include "cli/subcommands.hpp"

#include "cli/doctor_command.hpp"
#include "cli/hist_command.hpp"
#include "cli/lab_command.hpp"
#include "cli/latency_command.hpp"

namespace copylab {

void register_component_commands(CLI::App& app, CommonOptions& common) {
  register_doctor_command(app, common);
  register_hist_command(app, common);
  register_latency_command(app, common);
  register_lab_command(app, common);
}

}  // namespace copylab

#include "lab/cli/commands.h"

namespace rfl::cli {

// The pipeline's stages as subcommands, in pipeline order.
void RegisterCommands(CLI::App& app, CliContext& ctx) {
  RegisterValidateCommand(app, ctx);
  RegisterPlanCommand(app, ctx);
  RegisterRunCommand(app, ctx);
  RegisterToolchainCommand(app, ctx);
  RegisterSourceCommand(app, ctx);
  RegisterBuildCommand(app, ctx);
  RegisterReportCommand(app, ctx);
  RegisterCompareCommand(app, ctx);
  RegisterRunsCommand(app, ctx);
  RegisterServeCommand(app, ctx);
  RegisterPushCommand(app, ctx);
  RegisterClassifyCommand(app, ctx);
  RegisterDoctorCommand(app, ctx);
  RegisterBootCommand(app, ctx);
}

}  // namespace rfl::cli

#pragma once
// One registration function per subcommand (one file each in lab/cli/).
#include "lab/cli/context.h"

namespace rfl::cli {
void RegisterValidateCommand(CLI::App& app, CliContext& ctx);
void RegisterPlanCommand(CLI::App& app, CliContext& ctx);
void RegisterRunCommand(CLI::App& app, CliContext& ctx);
void RegisterToolchainCommand(CLI::App& app, CliContext& ctx);
void RegisterSourceCommand(CLI::App& app, CliContext& ctx);
void RegisterBuildCommand(CLI::App& app, CliContext& ctx);
void RegisterCodecheckCommand(CLI::App& app, CliContext& ctx);
void RegisterAbicheckCommand(CLI::App& app, CliContext& ctx);
void RegisterServeCommand(CLI::App& app, CliContext& ctx);
void RegisterPushCommand(CLI::App& app, CliContext& ctx);
void RegisterClassifyCommand(CLI::App& app, CliContext& ctx);
void RegisterDoctorCommand(CLI::App& app, CliContext& ctx);
void RegisterBootCommand(CLI::App& app, CliContext& ctx);
void RegisterReportCommand(CLI::App& app, CliContext& ctx);
void RegisterCompareCommand(CLI::App& app, CliContext& ctx);
void RegisterRunsCommand(CLI::App& app, CliContext& ctx);
}  // namespace rfl::cli

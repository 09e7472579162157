#include "lab/cli/commands.h"

namespace rfl::cli {
namespace {

// Every (sub)subcommand records its full name when the parser reaches it, so
// messages say "rfl-lab toolchain provision: error: …".
void NameCommands(CLI::App& app, CliContext& ctx, const std::string& prefix) {
  for (CLI::App* sub : app.get_subcommands({})) {
    std::string name = prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name();
    sub->preparse_callback([&ctx, name](size_t) { ctx.command = name; });
    NameCommands(*sub, ctx, name);
  }
}

}  // namespace

// The pipeline's stages as subcommands, in pipeline order.
void RegisterCommands(CLI::App& app, CliContext& ctx) {
  RegisterValidateCommand(app, ctx);
  RegisterPlanCommand(app, ctx);
  RegisterRunCommand(app, ctx);
  RegisterToolchainCommand(app, ctx);
  RegisterSourceCommand(app, ctx);
  RegisterBuildCommand(app, ctx);
  RegisterCodecheckCommand(app, ctx);
  RegisterAbicheckCommand(app, ctx);
  RegisterReportCommand(app, ctx);
  RegisterCompareCommand(app, ctx);
  RegisterRunsCommand(app, ctx);
  RegisterServeCommand(app, ctx);
  RegisterPushCommand(app, ctx);
  RegisterClassifyCommand(app, ctx);
  RegisterDoctorCommand(app, ctx);
  RegisterBootCommand(app, ctx);
  NameCommands(app, ctx, "");
}

}  // namespace rfl::cli

// rfl-lab validate FILE...: check scenarios, print every problem like a compiler.
#include <iostream>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/cli/scenario_arg.h"
#include "lab/scenario/plan.h"
#include "lab/util/cancel.h"

namespace rfl::cli {

void RegisterValidateCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate", "Check scenario files; report every error with file:line:col and a hint");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("files", *files, "Scenario YAML files ('-': standard input)")->required();
  cmd->callback([&ctx, files] {
    for (const auto& f : *files) {
      auto loaded = LoadScenarioForCli(f, ctx);
      if (!loaded) {
        if (CancelRequested()) return ctx.Raise(ExitCode::kInterrupted);
        ctx.Raise(ExitCode::kBadInput);
        continue;
      }
      auto plan = scenario::ExpandPlan(*(*loaded)->scenario);
      if (!plan) {
        ctx.Fail(plan.error().Wrap(f));
        continue;
      }
      std::cout << fmt::format("{}: ok — {} variant(s), {} build(s), {} boot(s)\n", f == "-" ? "<stdin>" : f,
                               (*loaded)->scenario->variants.size(), plan->builds.size(), plan->boots.size());
    }
  });
}

}  // namespace rfl::cli

#include "lab/cli/scenario_arg.h"

#include <unistd.h>

#include <iostream>

namespace rfl::cli {

std::optional<std::shared_ptr<scenario::LoadedScenario>> LoadScenarioForCli(const std::string& path,
                                                                             const CliContext& ctx) {
  auto catalog = scenario::Catalog::FromDataDir(ctx.Dirs().data);
  auto loaded = std::make_shared<scenario::LoadedScenario>(scenario::LoadScenario(path, catalog));
  const auto& diags = loaded->diagnostics;
  if (!diags.all().empty()) std::cerr << diags.Render();
  if (diags.HasErrors()) {
    int n = diags.ErrorCount();
    std::cerr << path << ": " << n << (n == 1 ? " error\n" : " errors\n");
    return std::nullopt;
  }
  return loaded;
}

}  // namespace rfl::cli

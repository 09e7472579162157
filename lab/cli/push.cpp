// rfl-lab push: send one run's metrics to a Prometheus Pushgateway.
#include <iostream>

#include <fmt/format.h>

#include "exporters/prometheus/export.h"
#include "lab/cli/commands.h"
#include "lab/results/store.h"

namespace rfl::cli {

void RegisterPushCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "push", "Push a run's metrics to a Pushgateway (group job=\"rfl-lab-push\", scenario=<name>; replaces the group)");
  auto gateway = std::make_shared<std::string>();
  auto run = std::make_shared<std::string>("latest");
  auto store = std::make_shared<std::string>();
  cmd->add_option("--gateway", *gateway, "Pushgateway URL, e.g. http://127.0.0.1:9091")->required();
  cmd->add_option("run", *run, "Run id, 'latest' or a scenario name (its newest run)")->capture_default_str();
  cmd->add_option("--store", *store, "Results store (default <state dir>/results.sqlite3)");
  cmd->callback([&ctx, gateway, run, store] {
    auto path = store->empty() ? results::DefaultStorePath(ctx.Dirs().state) : std::filesystem::path(*store);
    auto opened = results::OpenSqliteStoreReadOnly(path);
    if (!opened) return ctx.Fail(opened.error());
    auto id = results::ResolveRun(**opened, *run);
    if (!id) return ctx.Fail(id.error());
    auto pushed = exporters::PushRun(**opened, *id, *gateway);
    if (!pushed) return ctx.Fail(pushed.error());
    std::cout << fmt::format("pushed run {} of scenario {} to {}\n", *id, *pushed, *gateway);
  });
}

}  // namespace rfl::cli

// rfl-lab push: send one run's metrics to a Prometheus Pushgateway.
#include <iostream>

#include <fmt/format.h>

#include "exporters/prometheus/export.h"
#include "lab/cli/commands.h"
#include "lab/results/store.h"

namespace rfl::cli {

void RegisterPushCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "push", "Push a run's metrics to a Pushgateway (group job=\"rfl-lab\", scenario=<name>; replaces the group)");
  auto gateway = std::make_shared<std::string>();
  auto run = std::make_shared<std::optional<int64_t>>();
  auto store = std::make_shared<std::string>();
  cmd->add_option("--gateway", *gateway, "Pushgateway URL, e.g. http://127.0.0.1:9091")->required();
  cmd->add_option("run", *run, "Run id (default: the newest run)");
  cmd->add_option("--store", *store, "Results store (default <state dir>/results.sqlite3)");
  cmd->callback([&ctx, gateway, run, store] {
    auto path = store->empty() ? results::DefaultStorePath(ctx.Dirs().state) : std::filesystem::path(*store);
    auto opened = results::OpenSqliteStoreReadOnly(path);
    if (!opened) return ctx.Fail(opened.error());
    auto pushed = exporters::PushRun(**opened, *run, *gateway);
    if (!pushed) return ctx.Fail(pushed.error());
    std::cout << fmt::format("pushed scenario {} to {}\n", *pushed, *gateway);
  });
}

}  // namespace rfl::cli

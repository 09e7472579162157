// rfl-lab runs: the runs in the results store, newest first.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lab/cli/commands.h"
#include "lab/results/store.h"

namespace rfl::cli {

void RegisterRunsCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("runs", "List stored runs, newest first");
  struct Options {
    std::string store;
    std::string scenario;
    int limit = 50;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("--store", opt->store, "Results store (default <state dir>/results.sqlite3)");
  cmd->add_option("--scenario", opt->scenario, "Only runs of this scenario");
  cmd->add_option("-n,--limit", opt->limit, "At most this many runs")->capture_default_str();
  cmd->add_flag("--json", opt->json, "One JSON array instead of a table");
  cmd->callback([&ctx, opt] {
    auto store = results::OpenSqliteStoreReadOnly(opt->store.empty() ? results::DefaultStorePath(ctx.Dirs().state)
                                                               : std::filesystem::path(opt->store));
    if (!store && store.error().kind == Error::Kind::kNotFound && !opt->json) {
      std::cout << "no runs stored yet (" << store.error().message << ")\n";
      return;
    }
    if (!store && store.error().kind == Error::Kind::kNotFound) {
      std::cout << "[]\n";
      return;
    }
    if (!store) return ctx.Fail(store.error());
    auto runs = (*store)->ListRuns(opt->scenario.empty() ? std::nullopt : std::optional(opt->scenario), opt->limit);
    if (!runs) return ctx.Fail(runs.error());
    if (opt->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : *runs) {
        out.push_back({{"id", r.id},
                       {"scenario", r.info.scenario_name},
                       {"status", results::RunStatusName(r.status)},
                       {"message", r.message},
                       {"started_unix", r.info.started_unix},
                       {"ended_unix", r.ended_unix > 0 ? nlohmann::json(r.ended_unix) : nlohmann::json(nullptr)},
                       {"host", r.info.host},
                       {"timing", r.info.timing},
                       {"corner", r.info.corner},
                       {"backend", r.info.backend},
                       {"builds", r.builds},
                       {"boots", r.boots},
                       {"failed_boots", r.failed_boots}});
      }
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (runs->empty()) {
      std::cout << "no runs stored yet\n";
      return;
    }
    std::cout << fmt::format("{:>5}  {:<24} {:<11} {:<20} {:>9} {:>6} {:>5} {:>6}  {}\n", "id", "scenario", "status",
                             "started (UTC)", "duration", "builds", "boots", "failed", "host");
    for (const auto& r : *runs) {
      std::time_t t = static_cast<std::time_t>(r.info.started_unix);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char started[32];
      std::strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S", &tm);
      std::string duration = r.ended_unix > 0 ? fmt::format("{:.0f} s", r.ended_unix - r.info.started_unix) : "-";
      std::cout << fmt::format("{:>5}  {:<24} {:<11} {:<20} {:>9} {:>6} {:>5} {:>6}  {}\n", r.id,
                               r.info.scenario_name, results::RunStatusName(r.status), started, duration, r.builds,
                               r.boots, r.failed_boots, r.info.host);
    }
  });
}

}  // namespace rfl::cli

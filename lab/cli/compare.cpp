// rfl-lab compare RUN_A RUN_B: the same statistics between two stored runs
// (kernel 7.2 vs 7.3, rustc 1.85 vs 1.96); run A is the baseline. Exits 1
// when B regresses against A, or B has an unexpected build failure or a
// failed boot.
#include <iostream>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/report/output.h"
#include "lab/report/report.h"
#include "lab/results/comparison.h"
#include "lab/results/store.h"

namespace rfl::cli {

void RegisterCompareCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("compare", "Compare two stored runs (A is the baseline); exit 1 on regressions");
  struct Options {
    std::string run_a, run_b, format = "table", output, store;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("run_a", opt->run_a, "Baseline run: id, 'latest' or a scenario name")->required();
  cmd->add_option("run_b", opt->run_b, "Run compared against A")->required();
  cmd->add_option("-f,--format", opt->format, "table | json | html | kcidb")
      ->check(CLI::IsMember({"table", "json", "html", "kcidb"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", opt->output, "Write to FILE instead of stdout");
  cmd->add_option("--store", opt->store, "Results store (default <state dir>/results.sqlite3)");
  cmd->callback([&ctx, opt] {
    auto fail = [&](const Error& e) { ctx.Fail(e); };
    auto store = results::OpenSqliteStoreReadOnly(opt->store.empty() ? results::DefaultStorePath(ctx.Dirs().state)
                                                               : std::filesystem::path(opt->store));
    if (!store) return fail(store.error());
    std::vector<results::RunData> runs;
    for (const auto& spec : {opt->run_a, opt->run_b}) {
      auto id = results::ResolveRun(**store, spec);
      if (!id) return fail(id.error());
      auto data = (*store)->LoadRun(*id);
      if (!data) return fail(data.error());
      runs.push_back(std::move(*data));
    }
    for (const auto& drift : results::ToolchainDrift(runs[0], runs[1])) ctx.Warn(drift);
    auto analysis = results::CompareRuns(runs[0], runs[1]);
    auto format = report::ParseFormat(opt->format).value_or(report::Format::kTable);
    if (auto s = report::WriteReport(report::Render(analysis, format, report::ColorFor(opt->output)), opt->output);
        !s) {
      return fail(s.error());
    }
    ctx.Raise(ExitCodeForFindings(analysis.findings.Any()));
  });
}

}  // namespace rfl::cli

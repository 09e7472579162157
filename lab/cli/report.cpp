// rfl-lab report [RUN]: outcome matrix, per-metric deltas and code size of a
// stored run, as a terminal table, JSON, HTML or KCIDB JSON.
#include <iostream>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/report/output.h"
#include "lab/report/report.h"
#include "lab/results/comparison.h"
#include "lab/results/store.h"
#include "lab/util/paths.h"

namespace rfl::cli {

namespace {

struct ReportOptions {
  std::string run = "latest";
  std::string format = "table";
  std::string output;
  std::string store;
  bool gate = false;
  bool all = false;
};

}  // namespace

void RegisterReportCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("report", "Report a stored run: outcomes, metric deltas with verdicts, code size");
  auto opt = std::make_shared<ReportOptions>();
  cmd->add_option("run", opt->run, "Run id, 'latest' or a scenario name (its newest run)")->capture_default_str();
  cmd->add_option("-f,--format", opt->format,
                  "table | json | html | kcidb | readiness (per flag: builds, boots, code, ABI, cost)")
      ->check(CLI::IsMember({"table", "json", "html", "kcidb", "readiness"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", opt->output, "Write to FILE instead of stdout");
  cmd->add_option("--store", opt->store, "Results store (default <state dir>/results.sqlite3)");
  cmd->add_flag("--all", opt->all, "Table: list every comparison, not only the changed ones");
  cmd->add_flag("--gate", opt->gate, "Exit 1 when the run has findings (regression, unexpected build failure, failed boot)");
  cmd->callback([&ctx, opt] {
    auto store = results::OpenSqliteStoreReadOnly(opt->store.empty() ? results::DefaultStorePath(ctx.Dirs().state)
                                                               : std::filesystem::path(opt->store));
    if (!store) return ctx.Fail(store.error());
    auto id = results::ResolveRun(**store, opt->run);
    if (!id) return ctx.Fail(id.error());
    auto data = (*store)->LoadRun(*id);
    if (!data) return ctx.Fail(data.error());
    auto analysis = results::AnalyzeRun(*data);
    auto format = report::ParseFormat(opt->format).value_or(report::Format::kTable);
    if (auto s = report::WriteReport(report::Render(analysis, format, report::ColorFor(opt->output), opt->all), opt->output);
        !s) {
      return ctx.Fail(s.error());
    }
    if (opt->gate) ctx.Raise(ExitCodeForFindings(analysis.findings.Any()));
  });
}

}  // namespace rfl::cli

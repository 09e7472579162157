// rfl-lab run FILE: the main job — plan, build, boot, store, summarize.
// The run itself is pipeline::RunScenario; this file opens what it touches
// (store, libvirt, the kbuild builder), prints the summary, exports, and
// turns the run's status and findings into the exit status.
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

#include "exporters/prometheus/export.h"
#include "lab/cli/backend.h"
#include "lab/cli/ccache_remote.h"
#include "lab/cli/commands.h"
#include "lab/cli/scenario_arg.h"
#include "lab/pipeline/run.h"
#include "lab/report/report.h"
#include "lab/results/comparison.h"
#include "lab/results/store.h"
#include "lab/util/cancel.h"

namespace rfl::cli {
namespace {

struct RunCliOptions {
  std::string file;
  std::optional<std::string> store;
  std::optional<int64_t> resume;
  BackendOptions backend;
  std::optional<std::string> push;
  std::optional<std::string> textfile;
  std::optional<std::string> ccache_remote;
  int jobs = 0;
  int parallel = 0;
  int parallel_builds = 0;
  std::optional<std::string> timing;  // overrides the scenario's boot.timing
  scenario::Selection selection;      // --variant/--arch/--toolchain/--kernel
};

void Export(results::Store& store, int64_t run_id, const RunCliOptions& o, CliContext& ctx) {
  if (o.push) {
    if (auto p = exporters::PushRun(store, run_id, *o.push); !p) {
      ctx.Warn(fmt::format("push to {} failed: {}", *o.push, p.error().message));
    } else {
      std::cerr << fmt::format("pushed run {} to {}\n", run_id, *o.push);
    }
  }
  if (o.textfile) {
    if (auto p = exporters::WriteTextfile(store, run_id, *o.textfile); !p) {
      ctx.Warn(fmt::format("textfile export failed: {}", p.error().message));
    } else {
      std::cerr << "wrote " << p->string() << "\n";
    }
  }
}

void Run(const RunCliOptions& o, CliContext& ctx) {
  auto loaded = LoadScenarioForCli(o.file, ctx);
  if (!loaded) return ctx.Raise(ExitCode::kBadInput);
  scenario::Scenario s = *(*loaded)->scenario;
  if (o.timing) {
    // The same comparison in the other clock (docs/statistics.md): the run
    // records the timing it used.
    s.boot.timing = *o.timing == "wall" ? Timing::kWall : Timing::kIcount;  // CLI11 checked the name
  }
  if (!o.selection.empty()) {
    auto notes = scenario::SelectCorner(s, o.selection);
    if (!notes) return ctx.Fail(notes.error());
    for (const auto& n : *notes) std::cerr << n << "\n";
  }
  auto plan = scenario::ExpandPlan(s);
  if (!plan) return ctx.Fail(plan.error());

  LabDirs dirs = ctx.Dirs();
  std::filesystem::path store_path = o.store ? std::filesystem::path(*o.store) : results::DefaultStorePath(dirs.state);
  if (auto st = EnsureDir(store_path.parent_path()); !st) return ctx.Fail(st.error());
  auto store = results::OpenSqliteStore(store_path);
  if (!store) return ctx.Fail(store.error().Wrap("opening the results store"));
  auto hv = OpenBackend(o.backend, dirs);
  if (!hv) return ctx.Fail(hv.error());
  if (o.backend.backend == "lava") {
    if (auto d = (*hv)->Describe()) std::cerr << "boots on " << *d << "\n";
  }

  kernel::BuildContext build_ctx;
  build_ctx.cache_dir = dirs.cache;
  build_ctx.data_dir = dirs.data;
  build_ctx.jobs = o.jobs;
  ApplyCcacheRemote(o.ccache_remote, dirs, build_ctx);
  pipeline::KbuildBuilder builder(build_ctx, s.name);
  pipeline::ToolchainAbiChecker abi_checker(dirs.cache, dirs.data);
  pipeline::RunDeps deps{builder, **hv, **store, InterruptToken(),
                         [](std::string_view line) { std::cerr << line << "\n" << std::flush; }, &abi_checker};
  pipeline::RunOptions options;
  options.dirs = dirs;
  options.resume_run = o.resume;
  options.max_parallel_boots = o.parallel;
  options.build_slots = o.parallel_builds;
  options.corner = scenario::FormatSelection(o.selection);
  std::cerr << fmt::format("store {}\n", store_path.string());
  auto result = pipeline::RunScenario(*plan, deps, options);
  if (!result) return ctx.Fail(result.error());

  auto data = (*store)->LoadRun(result->run_id);
  if (!data) return ctx.Fail(data.error().Wrap("reading the run back"));
  auto analysis = results::AnalyzeRun(*data);
  std::cout << report::RenderTable(analysis, isatty(STDOUT_FILENO));
  ExitCode code = ExitCodeForRun(result->status, analysis.findings.Any());
  if (result->status == results::RunStatus::kCompleted) {
    Export(**store, result->run_id, o, ctx);
    ctx.Raise(code);
  } else {
    ctx.Fail(code, result->message);
  }
  std::cerr << fmt::format("run {} finished ({}): exit {}; `rfl-lab report {}` for details (--format html|json|kcidb|readiness)\n",
                           result->run_id, results::RunStatusName(result->status), static_cast<int>(ctx.exit),
                           result->run_id);
}

}  // namespace

void RegisterRunCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "run", "Build, boot and measure every kernel of a scenario; store the results and print the comparison");
  auto o = std::make_shared<RunCliOptions>();
  cmd->add_option("file", o->file, "Scenario YAML file")->required();
  cmd->add_option("--store", o->store, "Results store (default: <state dir>/results.sqlite3)");
  cmd->add_option("--resume", o->resume, "Continue an interrupted run (its id, from `rfl-lab runs`)");
  cmd->add_option("--push", o->push, "Push the run's results to this Pushgateway URL at the end");
  cmd->add_option("--textfile", o->textfile, "Write the run's metrics for node_exporter's textfile collector here");
  cmd->add_option("-j,--jobs", o->jobs, "make -j for kernel builds (default: all cores)")->check(CLI::Range(0, 1024));
  AddSelectionOptions(cmd, o->selection, "Only these variants (repeatable; the baseline always runs)");
  AddCcacheRemoteOption(cmd, o->ccache_remote);
  cmd->add_option("--timing", o->timing, "icount | wall: boot with this timing instead of the scenario's boot.timing")
      ->check(CLI::IsMember({"icount", "wall"}));
  cmd->add_option("--parallel", o->parallel, "VMs at once in icount timing (default: as many as cores and memory allow)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--parallel-builds", o->parallel_builds,
                  "Kernel builds at once: 1 one after another; 2 (the default on 2+ cores) lets a small build "
                  "(a seeded tree, a Rust-only rebuild) run beside another (docs/pipeline.md)")
      ->check(CLI::Range(0, 2));
  AddBackendOptions(cmd, o->backend);
  cmd->callback([&ctx, o] { Run(*o, ctx); });
}

}  // namespace rfl::cli

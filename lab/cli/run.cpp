// rfl-lab run FILE: the main job — plan, build, boot, store, summarize.
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/cli/scenario_arg.h"
#include "lab/pipeline/run.h"
#include "lab/results/store.h"
#include "lab/util/cancel.h"
#include "lab/util/exit_codes.h"

namespace rfl::cli {

void RegisterRunCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "run", "Build, boot and measure every kernel of a scenario; store the results and print the comparison");
  struct Opts {
    std::string file;
    std::optional<std::string> store;
    std::optional<int64_t> resume;
    std::optional<std::string> connect;
    std::optional<std::string> push;
    std::optional<std::string> textfile;
    int jobs = 0;
    int parallel = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("file", o->file, "Scenario YAML file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--store", o->store, "Results store (default: <state dir>/results.sqlite3)");
  cmd->add_option("--resume", o->resume, "Continue an interrupted run (its id, from `rfl-lab runs`)");
  cmd->add_option("--connect", o->connect, "libvirt URI (default: the embedded driver under the state dir)");
  cmd->add_option("--push", o->push, "Push the run's results to this Pushgateway URL at the end");
  cmd->add_option("--textfile", o->textfile, "Write the run's metrics for node_exporter's textfile collector here");
  cmd->add_option("-j,--jobs", o->jobs, "make -j for kernel builds (default: all cores)");
  cmd->add_option("--parallel", o->parallel, "VMs at once in icount timing (default: as many as cores and memory allow)");
  cmd->callback([&ctx, o] {
    auto loaded = LoadScenarioForCli(o->file, ctx);
    if (!loaded) {
      ctx.exit_code = kExitBadInput;
      return;
    }
    pipeline::RunOptions opts;
    opts.dirs = ctx.Dirs();
    opts.store_path = o->store ? std::filesystem::path(*o->store) : results::DefaultStorePath(opts.dirs.state);
    opts.resume_run = o->resume;
    opts.connect_uri = o->connect.value_or("");
    opts.push_url = o->push;
    if (o->textfile) opts.textfile_dir = *o->textfile;
    opts.jobs = o->jobs;
    opts.max_parallel_boots = o->parallel;
    opts.color = isatty(STDOUT_FILENO);
    auto result = pipeline::RunScenario(*(*loaded)->scenario, opts);
    if (!result) {
      std::cerr << "rfl-lab run: " << result.error().message << "\n";
      ctx.exit_code = result.error().kind == Error::Kind::kInput ? kExitBadInput
                      : CancelRequested()                        ? kExitInterrupted
                                                                 : kExitLabFailure;
      return;
    }
    std::cout << result->summary;
    if (!result->message.empty()) std::cerr << "rfl-lab run: " << result->message << "\n";
    std::cerr << fmt::format("run {} finished: exit {}; `rfl-lab report {}` for details (--format html|json|kcidb)\n",
                             result->run_id, result->exit_code, result->run_id);
    ctx.exit_code = result->exit_code;
  });
}

}  // namespace rfl::cli

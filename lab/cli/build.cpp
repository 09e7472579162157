// rfl-lab build FILE [--variant V] [--arch A] [--toolchain T] [--kernel K] [--shard I/N] [--ccache-remote URL] [-j N]
//                    [--force] [--json]
// Builds the kernels of a scenario (or the selected part of it), in plan
// order so KRUSTFLAGS variants share their tree. A failed build is a finding
// (exit 1) unless the variant says `expect: build-failure`; a variant that
// expected a failure and built is a finding too.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/cli/ccache_remote.h"
#include "lab/cli/commands.h"
#include "lab/cli/scenario_arg.h"
#include "lab/kernel/build.h"
#include "lab/kernel/progress.h"
#include "lab/scenario/plan.h"
#include "lab/util/cancel.h"

namespace rfl::cli {
namespace {

struct BuildOpts {
  std::string file;
  scenario::Selection selection;  // --variant/--arch/--toolchain/--kernel
  std::optional<std::string> shard;  // "I/N"
  std::optional<std::string> ccache_remote;

  int jobs = 0;
  bool force = false;
  bool json = false;
};

void PrintOutcome(const scenario::BuildSpec& b, const kernel::BuildOutcome& r, bool expected) {
  std::string what = fmt::format("{} {} {} ({})", fmt::join(b.variants, ","), ArchName(b.arch), b.toolchain,
                                 b.source.Label());
  if (r.artifact) {
    const auto& a = *r.artifact;
    std::cout << fmt::format("{}: {} in {}{}\n", what, kernel::BuildStatusName(r.status),
                             kernel::FormatDuration(r.seconds),
                             expected ? "" : "  — FINDING: expected a build failure, but it built");
    std::cout << fmt::format("  image     {}\n  artifact  {}\n", a.image.string(), a.dir.string());
    std::cout << fmt::format("  rustc {} | {} | {}\n", a.versions.rustc, a.versions.bindgen, a.versions.clang);
    std::cout << fmt::format("  vmlinux text {} data {} bss {} | Rust objects ({}) text {} data {} bss {}\n",
                             a.vmlinux_sizes.text, a.vmlinux_sizes.data, a.vmlinux_sizes.bss, a.rust_objects.size(),
                             a.rust_sizes.text, a.rust_sizes.data, a.rust_sizes.bss);
    if (r.status == kernel::BuildOutcome::Status::kBuilt) {
      std::cout << fmt::format("  make {} ({} rebuild: {} objects, {} Rust)\n", kernel::FormatDuration(a.build_seconds),
                               a.rebuild.kind, a.rebuild.objects, a.rebuild.rust_objects.size());
    }
  } else if (r.failure) {
    const auto& f = *r.failure;
    std::cout << fmt::format("{}: failed [{}]{}\n", what, kernel::FailureClassName(f.cls),
                             expected ? "  (expected: build-failure)" : "");
    for (const auto& l : f.excerpt) std::cout << "  | " << l << "\n";
    std::cout << fmt::format("  log: {}\n", f.log.string());
  }
}

}  // namespace

void RegisterBuildCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("build", "Build the kernels of a scenario (toolchains and sources as needed)");
  auto o = std::make_shared<BuildOpts>();
  cmd->add_option("file", o->file, "Scenario YAML file")->required();
  AddSelectionOptions(cmd, o->selection, "Only these variants (repeatable)");
  cmd->add_option("--shard", o->shard,
                  "I/N: build only this machine's share of the plan's build trees (docs/scaling.md)");
  AddCcacheRemoteOption(cmd, o->ccache_remote);
  cmd->add_option("-j,--jobs", o->jobs, "make -j (default: number of CPUs)");
  cmd->add_flag("--force", o->force, "Rebuild even when the artifact is cached");
  cmd->add_flag("--json", o->json, "Print the outcomes as JSON on stdout");
  cmd->callback([&ctx, o] {
    auto loaded = LoadScenarioForCli(o->file, ctx);
    if (!loaded) return ctx.Raise(ExitCode::kBadInput);
    const auto& s = *(*loaded)->scenario;
    // Selected values must be the scenario's; the split below is of the
    // whole plan, so the selection filters its builds afterwards.
    if (auto st = scenario::CheckSelection(s, o->selection); !st) return ctx.Fail(st.error());
    auto plan = scenario::ExpandPlan(s);
    if (!plan) return ctx.Fail(plan.error());
    auto dirs = ctx.Dirs();
    std::vector<const scenario::BuildSpec*> candidates;
    for (const auto& b : plan->builds) candidates.push_back(&b);
    if (o->shard) {
      // The split is of the whole plan, so every machine agrees on it
      // whatever else it selects.
      auto shard = scenario::ParseShard(*o->shard);
      if (!shard) return ctx.Fail(shard.error());
      candidates = scenario::ShardBuilds(*plan, shard->first, shard->second);
      std::cerr << fmt::format("shard {}: {} of {} builds\n", *o->shard, candidates.size(), plan->builds.size());
      if (candidates.empty()) return;  // more shards than trees: nothing to do here
    }
    std::vector<const scenario::BuildSpec*> selected;
    for (const auto* b : candidates) {
      if (scenario::Matches(o->selection, *b)) selected.push_back(b);
    }
    if (selected.empty()) {
      return ctx.Fail(ExitCode::kBadInput,
                      fmt::format("no build of {} matches the --variant/--arch/--toolchain/--kernel selection", o->file));
    }
    nlohmann::json all = nlohmann::json::array();
    for (size_t i = 0; i < selected.size(); ++i) {
      const auto& b = *selected[i];
      kernel::BuildContext bc;
      bc.cache_dir = dirs.cache;
      bc.data_dir = dirs.data;
      bc.jobs = o->jobs;
      bc.force = o->force;
      ApplyCcacheRemote(o->ccache_remote, dirs, bc);
      bc.label = fmt::format("{}/{} {} {} ({}/{})", s.name, fmt::join(b.variants, ","), ArchName(b.arch),
                             b.toolchain, i + 1, selected.size());
      auto r = kernel::BuildKernel(b, bc);
      if (!r) return ctx.Fail(r.error());
      bool expect_failure = b.expect == Expect::kBuildFailure;
      bool as_expected = r->ok() != expect_failure;
      if (!as_expected) ctx.Raise(ExitCode::kFindings);
      if (o->json) {
        auto j = kernel::ToJson(*r);
        j["variants"] = b.variants;
        j["expect"] = ExpectName(b.expect);
        j["as_expected"] = as_expected;
        all.push_back(j);
      } else {
        PrintOutcome(b, *r, expect_failure ? !r->ok() : true);
      }
      if (CancelRequested()) return ctx.Fail(ExitCode::kInterrupted, "interrupted; finished builds are cached");
    }
    if (o->json) std::cout << all.dump(2) << "\n";
  });
}

}  // namespace rfl::cli

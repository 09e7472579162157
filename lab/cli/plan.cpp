// rfl-lab plan FILE [--json]: what a run would build and boot, in order.
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/cli/scenario_arg.h"
#include "lab/kernel/artifact.h"
#include "lab/scenario/plan.h"
#include "lab/scenario/plan_json.h"

namespace rfl::cli {
namespace {

void PrintTable(const scenario::Plan& plan, const std::map<std::string, std::string>& cached) {
  const auto& s = *plan.scenario;
  std::cout << fmt::format("scenario {} — baseline '{}', {} boot(s) per variant, timing {}, accel {}\n\n", s.name,
                           s.baseline, s.repeat.min, TimingName(s.boot.timing),
                           AccelName(s.boot.accel));
  std::cout << fmt::format("{:<3} {:<16} {:<9} {:<8} {:<11} {:<10} {:<24} {}\n", "#", "build", "arch", "kernel",
                           "toolchain", "cache", "variants", "changes");
  int i = 0;
  std::string last_tree;
  for (const auto& b : plan.builds) {
    std::string changes;
    for (const auto& f : b.rustflags) changes += (changes.empty() ? "" : " ") + f;
    for (const auto& [k, v] : b.kconfig) changes += fmt::format("{}{}={}", changes.empty() ? "" : " ", k, v);
    if (b.expect == Expect::kBuildFailure) changes += "  (expect build failure)";
    std::string tree_note = b.tree_key == last_tree ? " ↳ same tree" : "";
    last_tree = b.tree_key;
    std::cout << fmt::format("{:<3} {:<16} {:<9} {:<8} {:<11} {:<10} {:<24} {}{}\n", ++i, b.key,
                             ArchName(b.arch), b.source.Label(), b.toolchain,
                             cached.count(b.key) ? "cached" : "to build",
                             fmt::format("{}", fmt::join(b.variants, ",")), changes.empty() ? "-" : changes,
                             tree_note);
  }
  std::cout << fmt::format("\n{} boot(s), interleaved:", plan.boots.size());
  size_t shown = 0;
  for (const auto& b : plan.boots) {
    if (shown++ == 12) {
      std::cout << " …";
      break;
    }
    std::cout << " " << b.variant << "#" << b.repetition;
  }
  std::cout << "\nworkloads:";
  for (const auto& w : s.workloads) std::cout << " " << w.name;
  std::cout << "\n";
}

}  // namespace

void RegisterPlanCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("plan", "Expand a scenario into its builds and boots");
  struct Opts {
    std::string file;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("file", o->file, "Scenario YAML file")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--json", o->json, "Print the plan as JSON");
  cmd->callback([&ctx, o] {
    auto loaded = LoadScenarioForCli(o->file, ctx);
    if (!loaded) return ctx.Raise(ExitCode::kBadInput);
    auto plan = scenario::ExpandPlan(*(*loaded)->scenario);
    if (!plan) return ctx.Fail(plan.error());
    // Which builds are already in the cache (no download, no build).
    std::map<std::string, std::string> cached;
    const auto dirs = ctx.Dirs();
    for (const auto& b : plan->builds) {
      if (auto a = kernel::LookupCachedArtifact(b, dirs.cache)) cached[b.key] = a->dir.string();
    }
    if (o->json) {
      auto j = scenario::PlanToJson(*plan);
      for (auto& b : j["builds"]) {
        auto it = cached.find(b["key"].get<std::string>());
        b["cached_artifact"] = it == cached.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second);
      }
      std::cout << j.dump(2) << "\n";
    } else {
      PrintTable(*plan, cached);
    }
  });
}

}  // namespace rfl::cli

// rfl-lab plan FILE [--json]: what a run would build and boot, in order.
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/cli/scenario_arg.h"
#include "lab/kernel/artifact.h"
#include "lab/scenario/plan.h"
#include "lab/scenario/plan_json.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"

namespace rfl::cli {
namespace {

// The compiler behind each toolchain name: the exact rustc release of a
// provisioned toolchain, else what its recipe promises ("1.96.*").
struct Compiler {
  std::string rustc;
  bool exact = false;
  std::string rustc_vv;
};

std::map<std::string, Compiler> Compilers(const scenario::Plan& plan, const LabDirs& dirs) {
  std::map<std::string, Compiler> out;
  for (const auto& b : plan.builds) {
    if (out.count(b.toolchain)) continue;
    Compiler c;
    if (b.toolchain == toolchain::kHostToolchain) {
      c.rustc = "PATH";
    } else if (auto tc = toolchain::FindProvisioned(dirs.cache, dirs.data, b.toolchain)) {
      c = {tc->versions.rustc, true, tc->versions.rustc_vv};
    } else if (auto r = toolchain::FindRecipe(dirs.data, b.toolchain)) {
      for (const auto& [tool, pattern] : r->versions) {
        if (tool == "rustc") c.rustc = pattern;
      }
    }
    if (c.rustc.empty()) c.rustc = "?";
    out[b.toolchain] = c;
  }
  return out;
}

void PrintTable(const scenario::Plan& plan, const std::map<std::string, std::string>& cached,
                const std::map<std::string, Compiler>& compilers) {
  const auto& s = *plan.scenario;
  std::cout << fmt::format("scenario {} — baseline '{}', {} boot(s) per variant, timing {}, accel {}\n\n", s.name,
                           s.baseline, s.repeat.min, TimingName(s.boot.timing),
                           AccelName(s.boot.accel));
  std::cout << fmt::format("{:<3} {:<16} {:<9} {:<8} {:<11} {:<8} {:<10} {:<24} {}\n", "#", "build", "arch",
                           "kernel", "toolchain", "rustc", "cache", "variants", "changes");
  int i = 0;
  std::string last_tree;
  for (const auto& b : plan.builds) {
    std::string changes;
    for (const auto& f : b.rustflags) changes += (changes.empty() ? "" : " ") + f;
    for (const auto& [k, v] : b.kconfig) changes += fmt::format("{}{}={}", changes.empty() ? "" : " ", k, v);
    if (b.expect == Expect::kBuildFailure) changes += "  (expect build failure)";
    std::string tree_note = b.tree_key == last_tree ? " ↳ same tree" : "";
    last_tree = b.tree_key;
    std::cout << fmt::format("{:<3} {:<16} {:<9} {:<8} {:<11} {:<8} {:<10} {:<24} {}{}\n", ++i, b.key,
                             ArchName(b.arch), b.source.Label(), b.toolchain, compilers.at(b.toolchain).rustc,
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
  for (const auto& [name, c] : compilers) {
    if (!c.exact && name != toolchain::kHostToolchain) {
      std::cout << fmt::format("toolchain {}: not provisioned yet; its recipe promises rustc {} and the run checks it\n",
                               name, c.rustc);
    }
  }
}

}  // namespace

void RegisterPlanCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("plan", "Expand a scenario into its builds and boots");
  struct Opts {
    std::string file;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("file", o->file, "Scenario YAML file")->required();
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
    auto compilers = Compilers(*plan, dirs);
    if (o->json) {
      auto j = scenario::PlanToJson(*plan);
      for (auto& b : j["builds"]) {
        auto it = cached.find(b["key"].get<std::string>());
        b["cached_artifact"] = it == cached.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second);
        const auto& c = compilers.at(b["toolchain"].get<std::string>());
        b["rustc"] = {{"version", c.rustc}, {"exact", c.exact},
                      {"rustc_vv", c.exact ? nlohmann::json(c.rustc_vv) : nlohmann::json(nullptr)}};
      }
      std::cout << j.dump(2) << "\n";
    } else {
      PrintTable(*plan, cached, compilers);
    }
  });
}

}  // namespace rfl::cli

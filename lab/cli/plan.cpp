// rfl-lab plan FILE [--json]: what a run would build and boot, in order.
#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "lab/cli/commands.h"
#include "lab/cli/scenario_arg.h"
#include "lab/kernel/artifact.h"
#include "lab/kernel/build.h"
#include "lab/kernel/progress.h"
#include "lab/kernel/tree.h"
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
  // What makes trees of two toolchains seed each other (clang and bindgen):
  // exact when provisioned, else the recipe's version patterns.
  std::string tools;
};

std::map<std::string, Compiler> Compilers(const scenario::Plan& plan, const LabDirs& dirs) {
  std::map<std::string, Compiler> out;
  for (const auto& b : plan.builds) {
    if (out.count(b.toolchain)) continue;
    Compiler c;
    if (b.toolchain == toolchain::kHostToolchain) {
      c.rustc = "PATH";
    } else if (auto tc = toolchain::FindProvisioned(dirs.cache, dirs.data, b.toolchain)) {
      c = {tc->versions.rustc, true, tc->versions.rustc_vv, toolchain::UntrackedToolsId(*tc)};
    } else if (auto r = toolchain::FindRecipe(dirs.data, b.toolchain)) {
      std::string clang, bindgen;
      for (const auto& [tool, pattern] : r->versions) {
        if (tool == "rustc") c.rustc = pattern;
        if (tool == "clang") clang = pattern;
        if (tool == "bindgen") bindgen = pattern;
      }
      if (!clang.empty()) c.tools = "clang " + clang + ", bindgen " + bindgen;
    }
    if (c.tools.empty()) c.tools = b.toolchain;
    if (c.rustc.empty()) c.rustc = "?";
    out[b.toolchain] = c;
  }
  return out;
}

// How long each uncached build's make will take, in plan order: a tree that
// an earlier build of the run makes is built by then, and a new tree whose
// source, arch, clang and bindgen an earlier build shares starts as its copy.
std::map<std::string, kernel::BuildEstimate> Estimates(const scenario::Plan& plan,
                                                       const std::map<std::string, std::string>& cached,
                                                       const std::map<std::string, Compiler>& compilers,
                                                       const std::filesystem::path& cache_dir) {
  std::map<std::string, kernel::BuildEstimate> out;
  std::set<std::string> trees;
  std::set<std::string> families;
  const auto trees_dir = cache_dir / "trees";
  for (const auto& b : plan.builds) {
    auto c = compilers.find(b.toolchain);
    std::string family =
        fmt::format("{}\n{}\n{}", b.source.spec, c == compilers.end() ? b.toolchain : c->second.tools, ArchName(b.arch));
    bool tree_built = trees.count(b.tree_key) > 0 ||
                      kernel::LoadTreeState(kernel::TreeDir(cache_dir, b) / "state.json").built_at > 0;
    auto start = tree_built                 ? kernel::TreeStart::kBuilt
                 : families.count(family) ? kernel::TreeStart::kSeeded
                                          : kernel::TreeStart::kFresh;
    if (!cached.count(b.key)) {
      out[b.key] = kernel::EstimateBuild(trees_dir, b.tree_key, b.key, std::string(ArchName(b.arch)), start);
    }
    trees.insert(b.tree_key);
    families.insert(family);
  }
  return out;
}

std::string EstimateText(const kernel::BuildEstimate& e) {
  if (!e.seconds) return "?";
  return fmt::format("~{} {}", kernel::FormatDuration(*e.seconds), e.basis);
}

void PrintTable(const scenario::Plan& plan, const std::map<std::string, Compiler>& compilers,
                const std::map<std::string, kernel::BuildEstimate>& estimates) {
  const auto& s = *plan.scenario;
  std::cout << fmt::format("scenario {} — baseline '{}', {} boot(s) per variant, timing {}, accel {}\n\n", s.name,
                           s.baseline, s.repeat.min, TimingName(s.boot.timing),
                           AccelName(s.boot.accel));
  std::cout << fmt::format("{:<3} {:<16} {:<9} {:<8} {:<11} {:<8} {:<22} {:<24} {}\n", "#", "build", "arch",
                           "kernel", "toolchain", "rustc", "make", "variants", "changes");
  int i = 0;
  std::string last_tree;
  for (const auto& b : plan.builds) {
    std::string changes;
    for (const auto& f : b.rustflags) changes += (changes.empty() ? "" : " ") + f;
    for (const auto& [k, v] : b.kconfig) changes += fmt::format("{}{}={}", changes.empty() ? "" : " ", k, v);
    if (b.expect == Expect::kBuildFailure) changes += "  (expect build failure)";
    std::string tree_note = b.tree_key == last_tree ? " ↳ same tree" : "";
    last_tree = b.tree_key;
    auto e = estimates.find(b.key);
    std::cout << fmt::format("{:<3} {:<16} {:<9} {:<8} {:<11} {:<8} {:<22} {:<24} {}{}\n", ++i, b.key,
                             ArchName(b.arch), b.source.Label(), b.toolchain, compilers.at(b.toolchain).rustc,
                             e == estimates.end() ? "cached" : EstimateText(e->second),
                             fmt::format("{}", fmt::join(b.variants, ",")), changes.empty() ? "-" : changes,
                             tree_note);
  }
  double total = 0;
  size_t unknown = 0;
  for (const auto& [key, e] : estimates) {
    if (e.seconds) total += *e.seconds;
    else ++unknown;
  }
  if (unknown == estimates.size() && unknown > 0) {
    std::cout << fmt::format("\n{} build(s) to make; this cache has no past build to estimate them by\n", unknown);
  } else if (!estimates.empty()) {
    std::cout << fmt::format("\n{} build(s) to make: ~{}{} (from this cache's past builds; the slowest of a kind "
                             "where a build has no time of its own)\n",
                             estimates.size(), kernel::FormatDuration(total),
                             unknown ? fmt::format(" + {} with no past build to go by", unknown) : "");
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
  if (!plan.abi_checks.empty()) {
    std::cout << fmt::format("{} ABI check(s):", plan.abi_checks.size());
    for (const auto& a : plan.abi_checks) std::cout << fmt::format(" {} ({}, {})", a.flag, a.toolchain, ArchName(a.arch));
    std::cout << "\n";
  }
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
    scenario::Selection selection;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("file", o->file, "Scenario YAML file")->required();
  AddSelectionOptions(cmd, o->selection, "Only these variants (repeatable; the baseline is always kept), as `run`");
  cmd->add_flag("--json", o->json, "Print the plan as JSON");
  cmd->callback([&ctx, o] {
    auto loaded = LoadScenarioForCli(o->file, ctx);
    if (!loaded) return ctx.Raise(ExitCode::kBadInput);
    auto notes = scenario::SelectCorner(*(*loaded)->scenario, o->selection);
    if (!notes) return ctx.Fail(notes.error());
    for (const auto& n : *notes) std::cerr << n << "\n";
    auto plan = scenario::ExpandPlan(*(*loaded)->scenario);
    if (!plan) return ctx.Fail(plan.error());
    // Which builds are already in the cache (no download, no build).
    std::map<std::string, std::string> cached;
    const auto dirs = ctx.Dirs();
    for (const auto& b : plan->builds) {
      if (auto a = kernel::LookupCachedArtifact(b, dirs.cache)) cached[b.key] = a->dir.string();
    }
    auto compilers = Compilers(*plan, dirs);
    auto estimates = Estimates(*plan, cached, compilers, dirs.cache);
    if (o->json) {
      auto j = scenario::PlanToJson(*plan);
      for (auto& b : j["builds"]) {
        auto it = cached.find(b["key"].get<std::string>());
        b["cached_artifact"] = it == cached.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second);
        const auto& c = compilers.at(b["toolchain"].get<std::string>());
        auto e = estimates.find(b["key"].get<std::string>());
        b["make_estimate"] = e == estimates.end()
                                 ? nlohmann::json(nullptr)
                                 : nlohmann::json{{"seconds", e->second.seconds ? nlohmann::json(*e->second.seconds)
                                                                                : nlohmann::json(nullptr)},
                                                  {"basis", e->second.basis}};
        b["rustc"] = {{"version", c.rustc}, {"exact", c.exact},
                      {"rustc_vv", c.exact ? nlohmann::json(c.rustc_vv) : nlohmann::json(nullptr)}};
      }
      std::cout << j.dump(2) << "\n";
    } else {
      PrintTable(*plan, compilers, estimates);
    }
  });
}

}  // namespace rfl::cli

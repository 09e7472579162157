#include "tests/support/test_kernel.h"

#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "lab/pipeline/code_check.h"
#include "lab/scenario/load.h"
#include "lab/util/paths.h"

namespace rfl::test {
namespace fs = std::filesystem;

fs::path TestCacheDir() { return ResolveLabDirs(std::nullopt, std::nullopt)->cache; }

// Replaces the value of a top-level `key:` line of a scenario's text.
Result<std::string> ReplaceLine(std::string text, std::string_view key, const std::string& value,
                                const fs::path& file) {
  auto pos = text.find(fmt::format("\n{}:", key));
  if (pos == std::string::npos) return Fail("{}: no '{}:' line", file.string(), key);
  auto end = text.find('\n', pos + 1);
  text.replace(pos, end - pos, fmt::format("\n{}: {}", key, value));
  return text;
}

std::vector<FlagVariant> TestFlagVariants(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return {{"patchable-entry", {"-Zpatchable-function-entry=16,16"}}};
    case Arch::kArm64: return {{"branch-protection", {"-Zbranch-protection=bti,pac-ret"}}};
    default: return {};
  }
}

// Adds `variants` to the scenario's variants block.
Result<std::string> AddVariants(std::string text, const std::vector<FlagVariant>& variants, const fs::path& file) {
  const std::string block = "\nvariants:\n";
  auto pos = text.find(block);
  if (pos == std::string::npos) return Fail("{}: no 'variants:' block", file.string());
  std::string added;
  for (const auto& v : variants) {
    std::vector<std::string> quoted;
    for (const auto& f : v.rustflags) quoted.push_back(fmt::format("\"{}\"", f));
    added += fmt::format("  {}:\n    rustflags: [{}]\n", v.name, fmt::join(quoted, ", "));
  }
  text.insert(pos + block.size(), added);
  return text;
}

Result<scenario::Plan> QuickstartPlan(Arch arch, const std::string& toolchain) {
  fs::path data = DataDir();
  fs::path file = data / "scenarios" / "quickstart.yaml";
  auto text = ReadFile(file);
  if (!text) return Fail(text.error());
  // The same scenario for another arch: only the arches line changes.
  auto t = ReplaceLine(*text, "arches", fmt::format("[{}]", ArchName(arch)), file);
  if (t && !toolchain.empty()) t = ReplaceLine(*t, "toolchains", fmt::format("[\"{}\"]", toolchain), file);
  if (t) t = AddVariants(*t, TestFlagVariants(arch), file);
  if (!t) return Fail(t.error());
  auto loaded = scenario::ParseScenario(file.string(), *t, file.parent_path(), scenario::Catalog::FromDataDir(data));
  if (!loaded.scenario) return Fail("{} does not load:\n{}", file.string(), loaded.diagnostics.Render());
  auto plan = scenario::ExpandPlan(*loaded.scenario, 1);
  if (!plan) return Fail(plan.error());
  plan->scenario = nullptr;  // the scenario ends here
  return *plan;
}

Result<scenario::BuildSpec> QuickstartBuildSpec(Arch arch, const std::string& variant, const std::string& toolchain) {
  auto plan = QuickstartPlan(arch, toolchain);
  if (!plan) return Fail(plan.error());
  for (const auto& b : plan->builds) {
    for (const auto& v : b.variants) {
      if (v == variant) return b;
    }
  }
  return Fail("quickstart has no variant '{}'", variant);
}

namespace {

Result<kernel::Artifact> BuildQuickstartVariant(Arch arch, const std::string& variant, const std::string& toolchain) {
  auto spec = QuickstartBuildSpec(arch, variant, toolchain);
  if (!spec) return Fail(spec.error());
  fs::path cache = TestCacheDir();
  if (auto a = kernel::LookupCachedArtifact(*spec, cache)) return *a;
  kernel::BuildContext ctx;
  ctx.cache_dir = cache;
  ctx.data_dir = DataDir();
  ctx.label = fmt::format("test kernel quickstart/{} {} {}", variant, ArchName(arch), spec->toolchain);
  ctx.progress = &std::cerr;
  ctx.progress_tty = false;
  auto r = kernel::BuildKernel(*spec, ctx);
  if (!r) return Fail(r.error());
  if (!r->artifact) return Fail("the quickstart kernel ({}) failed to build: {} (log {})", variant, r->failure->message, r->failure->log.string());
  return *r->artifact;
}

}  // namespace

Result<kernel::Artifact> QuickstartKernel(Arch arch, const std::string& toolchain) {
  return BuildQuickstartVariant(arch, "baseline", toolchain);
}

Result<kernel::Artifact> QuickstartVariantKernel(Arch arch, const std::string& variant) {
  return BuildQuickstartVariant(arch, variant, "");
}

Result<CodeChecks> QuickstartCodeChecks(Arch arch, const std::vector<std::string>& variants) {
  auto plan = QuickstartPlan(arch);
  if (!plan) return Fail(plan.error());
  CodeChecks checks;
  for (const auto& variant : variants) {
    auto spec = QuickstartBuildSpec(arch, variant);
    if (!spec) return Fail(spec.error());
    auto a = QuickstartVariantKernel(arch, variant);
    if (!a) return Fail(a.error());
    auto t0 = std::chrono::steady_clock::now();
    auto records = pipeline::CheckBuildCode(pipeline::FlagsToCheck(*plan, *spec, a->effective_rustflags_kernel), *a);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& c : records) {
      std::cerr << fmt::format("{} {}: {} {} {} {}/{} ({} exempt); the stage took {:.1f} s\n", ArchName(arch), variant,
                               c.flag, c.claimed ? "claimed" : "control", c.verdict, c.with_signature, c.checked,
                               c.exempt, s);
    }
    checks[variant] = std::move(records);
  }
  return checks;
}

const results::CodeCheckRecord* FindCheck(const CodeChecks& checks, const std::string& variant,
                                          const std::string& flag) {
  auto it = checks.find(variant);
  if (it == checks.end()) return nullptr;
  for (const auto& c : it->second) {
    if (c.flag == flag) return &c;
  }
  return nullptr;
}

}  // namespace rfl::test

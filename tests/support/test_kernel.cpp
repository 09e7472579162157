#include "tests/support/test_kernel.h"

#include <iostream>

#include <fmt/format.h>

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

Result<scenario::Plan> QuickstartPlan(Arch arch, const std::string& toolchain) {
  fs::path data = DataDir();
  fs::path file = data / "scenarios" / "quickstart.yaml";
  auto text = ReadFile(file);
  if (!text) return Fail(text.error());
  // The same scenario for another arch: only the arches line changes.
  auto t = ReplaceLine(*text, "arches", fmt::format("[{}]", ArchName(arch)), file);
  if (t && !toolchain.empty()) t = ReplaceLine(*t, "toolchains", fmt::format("[\"{}\"]", toolchain), file);
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

Result<kernel::Artifact> QuickstartKernel(Arch arch, const std::string& toolchain) {
  auto spec = QuickstartBuildSpec(arch, "baseline", toolchain);
  if (!spec) return Fail(spec.error());
  fs::path cache = TestCacheDir();
  if (auto a = kernel::LookupCachedArtifact(*spec, cache)) return *a;
  kernel::BuildContext ctx;
  ctx.cache_dir = cache;
  ctx.data_dir = DataDir();
  ctx.label = fmt::format("test kernel quickstart/baseline {} {}", ArchName(arch), spec->toolchain);
  ctx.progress = &std::cerr;
  ctx.progress_tty = false;
  auto r = kernel::BuildKernel(*spec, ctx);
  if (!r) return Fail(r.error());
  if (!r->artifact) return Fail("the quickstart kernel failed to build: {} (log {})", r->failure->message, r->failure->log.string());
  return *r->artifact;
}

}  // namespace rfl::test

#pragma once
// Real kernels for integration tests: the quickstart scenario's baseline
// (linux-source-7.3, rustc-1.96, tinyconfig + base + rust, rust-samples,
// binder-rust, rnull, null-blk, debugfs), built through the lab's own API on
// first use and cached in the lab cache (RFL_LAB_CACHE_DIR, else the
// default), so every test binary and `rfl-lab run scenarios/quickstart.yaml`
// share one build. The first call can take ~6 minutes per arch on 2 cores;
// later calls are cache hits.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "lab/kernel/build.h"
#include "lab/results/records.h"
#include "lab/scenario/model.h"
#include "lab/scenario/plan.h"
#include "lab/util/result.h"

namespace rfl::test {

// The lab cache the tests share.
std::filesystem::path TestCacheDir();

// The quickstart scenario's plan for `arch` (builds and boots; its
// `scenario` pointer is null); `toolchain`, when set, replaces the
// scenario's toolchains (e.g. a tarball: compiler). The plan has, besides
// the scenario's variants, the flag variants of TestFlagVariants(arch).
[[nodiscard]] Result<scenario::Plan> QuickstartPlan(Arch arch, const std::string& toolchain = "");

// The BuildSpec of a quickstart variant for `arch`, exactly as
// `rfl-lab plan scenarios/quickstart.yaml` computes it (same keys, same
// tree), with the scenario's arches replaced by `arch`.
[[nodiscard]] Result<scenario::BuildSpec> QuickstartBuildSpec(Arch arch, const std::string& variant = "baseline",
                                                              const std::string& toolchain = "");

// The quickstart baseline kernel for `arch`, built if not cached (with
// `toolchain` instead of the scenario's when set).
[[nodiscard]] Result<kernel::Artifact> QuickstartKernel(Arch arch, const std::string& toolchain = "");

// A rustflags-only variant the tests add to the quickstart scenario: it
// shares the baseline's tree, so it costs a rebuild of the Rust crates
// (~1–1.5 min on 2 cores), and its code check has the baseline as control.
struct FlagVariant {
  std::string name;
  std::vector<std::string> rustflags;
};

// The flag variants the tests build on `arch`: x86_64 `patchable-entry`
// (-Zpatchable-function-entry=16,16, what kbuild passes for CALL_PADDING),
// arm64 `branch-protection` (-Zbranch-protection=bti,pac-ret, what kbuild
// passes for ARM64_BTI_KERNEL + ARM64_PTR_AUTH_KERNEL).
std::vector<FlagVariant> TestFlagVariants(Arch arch);

// The quickstart kernel of `variant` (a scenario variant or a flag variant)
// for `arch`, built if not cached.
[[nodiscard]] Result<kernel::Artifact> QuickstartVariantKernel(Arch arch, const std::string& variant);

// The code-check stage's records for each of `variants`' quickstart kernels
// on `arch` (built if not cached), judged as `rfl-lab run` judges them: the
// flags each claims, and every other variant's flags as controls. Each
// record is also printed on stderr with the check's time.
using CodeChecks = std::map<std::string, std::vector<results::CodeCheckRecord>>;
[[nodiscard]] Result<CodeChecks> QuickstartCodeChecks(Arch arch, const std::vector<std::string>& variants);

// The record of `flag` among a variant's records; null when it was not judged.
const results::CodeCheckRecord* FindCheck(const CodeChecks& checks, const std::string& variant,
                                          const std::string& flag);

}  // namespace rfl::test

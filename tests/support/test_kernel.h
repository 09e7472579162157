#pragma once
// Real kernels for integration tests: the quickstart scenario's baseline
// (linux-source-7.3, rustc-1.96, tinyconfig + base + rust, rust-samples,
// binder-rust, rnull, null-blk, debugfs), built through the lab's own API on
// first use and cached in the lab cache (RFL_LAB_CACHE_DIR, else the
// default), so every test binary and `rfl-lab run scenarios/quickstart.yaml`
// share one build. The first call can take ~6 minutes per arch on 2 cores;
// later calls are cache hits.
#include <filesystem>
#include <string>
#include <vector>

#include "lab/kernel/build.h"
#include "lab/scenario/model.h"
#include "lab/scenario/plan.h"
#include "lab/util/result.h"

namespace rfl::test {

// The lab cache the tests share.
std::filesystem::path TestCacheDir();

// The quickstart scenario's plan for `arch` (builds and boots; its
// `scenario` pointer is null); `toolchain`, when set, replaces the
// scenario's toolchains (e.g. a tarball: compiler).
[[nodiscard]] Result<scenario::Plan> QuickstartPlan(Arch arch, const std::string& toolchain = "");

// The BuildSpec of a quickstart variant for `arch`, exactly as
// `rfl-lab plan scenarios/quickstart.yaml` computes it (same keys, same
// tree), with the scenario's arches replaced by `arch`.
[[nodiscard]] Result<scenario::BuildSpec> QuickstartBuildSpec(Arch arch, const std::string& variant = "baseline",
                                                              const std::string& toolchain = "");

// The quickstart baseline kernel for `arch`, built if not cached (with
// `toolchain` instead of the scenario's when set).
[[nodiscard]] Result<kernel::Artifact> QuickstartKernel(Arch arch, const std::string& toolchain = "");

}  // namespace rfl::test

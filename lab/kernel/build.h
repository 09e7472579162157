#pragma once
// Building a kernel: the public entry point of the kernel stage.
//
//   Result<BuildOutcome> BuildKernel(const scenario::BuildSpec&, const BuildContext&)
//   std::optional<Artifact> LookupCachedArtifact(spec, cache_dir)   (artifact.h)
//
// BuildKernel provisions the toolchain and prepares the source if needed,
// then returns a cache hit, or builds in the stable tree
// <cache>/trees/<tree_key>/ (one O= tree per source × config × toolchain ×
// arch, so variants that differ only in KRUSTFLAGS rebuild only Rust objects;
// rustc command lines hold the O= path, so the tree never moves):
//   1. `make rustavailable` (when Rust is requested) → rust-unavailable;
//   2. base config + fragments + variant symbols, `olddefconfig`, once per
//      tree; then every requested symbol is verified → kconfig-unmet;
//   3. `make vmlinux <image>` with KRUSTFLAGS → rustc-error, bindgen-error,
//      link-error or other, classified from the log (build_log.h);
//   4. the artifact is collected into the cache (artifact.h).
// A failed kernel build is a BuildOutcome (a finding), not an error; an
// error means the lab could not work (no mirror, no space, cancelled).
// Failures of a deterministic class (kconfig-unmet, rust-unavailable,
// rustc-error, bindgen-error, link-error: same inputs, same failure) are
// cached like artifacts, in <cache>/artifacts/<key>.failed/ with their log,
// so a rerun of a scenario with an `expect: build-failure` variant does not
// rebuild it; `other` failures (a killed compiler, a full disk) never are.
// `force` ignores both caches.
// The tree's lock serializes builds of one tree across rfl-lab processes.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/kernel/artifact.h"
#include "lab/kernel/build_log.h"
#include "lab/scenario/plan.h"
#include "lab/util/cancel.h"
#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::kernel {

struct BuildContext {
  std::filesystem::path cache_dir;  // LabDirs::cache
  std::filesystem::path data_dir;   // LabDirs::data (toolchain recipes)
  ProcessRunner* runner = nullptr;  // nullptr: DefaultRunner()
  int jobs = 0;                     // make -j; 0: the number of CPUs
  bool force = false;               // rebuild even when cached
  // C compiles through the toolchain's ccache (<cache>/ccache/<toolchain>):
  // a new tree of the same source and toolchain (a Kconfig variant, another
  // kernel config) then recompiles only the C files its config changes.
  bool ccache = true;
  // Where the local ccache layers live (<ccache_root>/<toolchain>); empty:
  // <cache>/ccache. A machine that shares C objects through a remote backend
  // keeps its local layer on its own disk.
  std::filesystem::path ccache_root;
  // A ccache remote backend shared by machines, e.g. "redis://host:6379"
  // (MakeInvocation::ccache_remote; docs/scaling.md).
  std::string ccache_remote;
  // A fresh tree starts as a copy of a built tree of the same source,
  // toolchain and arch (another Kconfig variant), so kbuild rebuilds only
  // what the config change touches. Every tree is at the same path inside
  // the sandbox, so the copy's command lines are those of a tree built there.
  bool seed = true;
  // Progress output (stderr by default). A live line when it is a terminal,
  // plain lines otherwise.
  std::ostream* progress = nullptr;
  std::optional<bool> progress_tty;  // override terminal detection
  std::string label;                 // shown in progress: "quickstart/baseline x86_64"
  std::chrono::hours timeout{3};     // per make run
  // make is killed and the build ends as cancelled when this stops: Ctrl-C
  // by default; a run passes its own token.
  std::stop_token stop = InterruptToken();
  // Called once, when the build holds its own tree and no other: after a new
  // tree was copied from its seed (under the seed's lock), or at once in a
  // tree that was built before. A run starts the family's next build then
  // (RunScheduler::BuildTreeReady). Not called for a cache hit.
  std::function<void()> on_tree_ready;
};

struct BuildFailure {
  FailureClass cls = FailureClass::kOther;
  std::string message;               // one line: "link-error: ld.lld: error: undefined symbol: …"
  std::vector<std::string> excerpt;  // the first relevant lines
  std::filesystem::path log;         // full log of the failing step
};

struct BuildOutcome {
  enum class Status { kBuilt, kCacheHit, kFailed };
  Status status = Status::kFailed;
  std::optional<Artifact> artifact;  // kBuilt, kCacheHit
  std::optional<BuildFailure> failure;
  std::string build_key;
  std::string artifact_key;
  double seconds = 0;                // wall time of this call
  // kFailed only: the failure was recorded by an earlier build of the same
  // key and is replayed (deterministic failure classes only; see below).
  bool failure_from_cache = false;

  bool ok() const { return status != Status::kFailed; }
};
std::string_view BuildStatusName(BuildOutcome::Status s);  // built | cache-hit | failed
nlohmann::json ToJson(const BuildOutcome& o);
Result<BuildOutcome> BuildOutcomeFromJson(const nlohmann::json& j);

[[nodiscard]] Result<BuildOutcome> BuildKernel(const scenario::BuildSpec& spec, const BuildContext& ctx);

// <cache>/trees/<tree_key>: the O= tree of a spec.
std::filesystem::path TreeDir(const std::filesystem::path& cache_dir, const scenario::BuildSpec& spec);

// <cache>/kconfig-base: the .config a base step (`make allnoconfig` for
// tinyconfig, `make defconfig`) wrote, one file per source, arch, toolchain
// and make command, reused by later trees instead of a Kconfig pass.
std::filesystem::path BaseConfigDir(const std::filesystem::path& cache_dir);

}  // namespace rfl::kernel

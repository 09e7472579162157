#pragma once
// Build trees: one kbuild O= directory per (source, config, toolchain, arch)
// under <cache>/trees/<tree key>/, with its bookkeeping (state.json) and its
// seeding from a sibling tree.
#include <chrono>
#include <filesystem>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::kernel {

// Per-tree bookkeeping: which inputs made its .config, how long builds took,
// and its family (trees of one family can seed each other).
struct TreeState {
  std::string config_inputs;
  std::string family;                       // TreeFamily() of its source, untracked tools and arch
  int64_t built_at = 0;                     // unix seconds of its last successful build; 0: never
  std::string arch;                         // x86_64 | arm64 | riscv64
  std::map<std::string, double> durations;  // build key → seconds; "full" → last full build
};

// A missing or unreadable state file is an empty state (the tree is rebuilt).
TreeState LoadTreeState(const std::filesystem::path& file);
[[nodiscard]] Status SaveTreeState(const std::filesystem::path& file, const TreeState& s);

// Trees with the same source, arch, clang and bindgen
// (toolchain::UntrackedToolsId) differ only in what kbuild tracks per
// object: the .config, KRUSTFLAGS and the rustc version.
std::string TreeFamily(const std::string& source_id, const std::string& tools_id, const std::string& arch);

// The tree of `family` that a new tree should start from: the one built most
// recently (a later failed build, such as an expected link failure, leaves
// its objects usable), other than `self`. `trees_dir` is <cache>/trees.
std::optional<std::filesystem::path> FindSeedTree(const std::filesystem::path& trees_dir,
                                                  const std::string& family, const std::string& self);

// How long make will take for one build, from the builds the cache has seen.
struct BuildEstimate {
  std::optional<double> seconds;  // nullopt: nothing to go by
  std::string basis;              // "last time" | "incremental" | "seeded" | "full" | "" (unknown)
};

// Where the build will happen when it runs, in plan order.
enum class TreeStart {
  kBuilt,   // its tree is built (in the cache, or by an earlier build of the same run)
  kSeeded,  // a new tree, but an earlier build of the run shares its family (source, clang, bindgen, arch)
  kFresh,   // a new tree from scratch
};

// The build `key`'s own last make time in its tree; else, by `start`, the
// tree's last incremental build, or the slowest seeded or full build of any
// tree of `arch` in `trees_dir` (<cache>/trees).
BuildEstimate EstimateBuild(const std::filesystem::path& trees_dir, const std::string& tree_key,
                            const std::string& key, const std::string& arch, TreeStart start);

// Copies seed/o into tree_root/o (empty), keeping modification times, under
// the seed's lock. A seed being built (another variant rebuilding its Rust
// objects, most often: a minute or two) is waited for up to `wait`, with
// `on_wait` called once; when it stays busy, or with `wait` 0, it is skipped.
// On failure `tree_root/o` is left empty, so the build starts from scratch.
// The copy is killed when `stop` stops (Ctrl-C).
[[nodiscard]] Status SeedTree(const std::filesystem::path& seed_root, const std::filesystem::path& tree_root,
                              ProcessRunner& runner, std::stop_token stop = InterruptToken(),
                              std::chrono::milliseconds wait = {}, const std::function<void()>& on_wait = {});

}  // namespace rfl::kernel

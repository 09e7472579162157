#pragma once
// Matrix expansion: a Scenario becomes a Plan of unique builds and ordered
// boots. Builds are identified by a content key over everything that decides
// the kernel (source, base config, fragment contents, Kconfig, toolchain,
// arch, Rust flags); variants with identical inputs share one build (an A/A
// comparison costs no extra build). Builds that differ only in Rust flags share
// a tree key, so kbuild reuses one O= tree and rebuilds only Rust objects.
#include <string>
#include <vector>

#include "lab/scenario/model.h"
#include "lab/util/result.h"

namespace rfl::scenario {

struct BuildSpec {
  std::string key;       // content key of every input (hex, 16 chars)
  std::string tree_key;  // same inputs minus rustflags: one O= tree per tree_key
  KernelSource source;
  std::string toolchain;
  Arch arch = Arch::kX86_64;
  std::string config;                             // base: tinyconfig | defconfig | path
  std::vector<std::filesystem::path> fragments;   // arch base fragment first, then the scenario's
  std::map<std::string, std::string> kconfig;     // symbols requested by the variant
  std::vector<std::string> rustflags;             // KRUSTFLAGS
  std::vector<std::string> variants;              // variant names using this build
  Expect expect = Expect::kPass;                  // of the (first) variant
  std::map<std::string, std::string> expect_code; // of the variants: flag → verdict
};

struct BootSpec {
  int index = 0;          // position in the run order
  std::string build_key;
  std::string variant;
  KernelSource source;
  std::string toolchain;
  Arch arch = Arch::kX86_64;
  int repetition = 0;     // 0-based
};

// One ABI check of the run: `flag` with `toolchain`'s rustc for `arch`.
struct AbiCheckSpec {
  std::string toolchain;
  Arch arch = Arch::kX86_64;
  std::string flag;
};

struct Plan {
  const Scenario* scenario = nullptr;
  std::vector<BuildSpec> builds;  // in build order: tree-sharing builds adjacent
  std::vector<BootSpec> boots;    // interleaved: rep 0 of every variant, then rep 1, …
  // The scenario's abi_checks × its toolchains × the arches each names (all
  // of the scenario's when it names none), by toolchain, then arch, then flag.
  std::vector<AbiCheckSpec> abi_checks;
  const BuildSpec* FindBuild(std::string_view key) const;
};

// The per-arch base fragment: images/kconfig/base-<arch>.config.
std::filesystem::path ArchBaseFragment(Arch arch);

// Expands the matrix. Fails only on I/O (a fragment that vanished since
// validation); `repetitions` overrides scenario.repeat.min when > 0.
[[nodiscard]] Result<Plan> ExpandPlan(const Scenario& scenario, int repetitions = 0);

// Builds across machines (`rfl-lab build FILE --shard I/N`): the plan's
// build trees, in plan order, each to the shard with the fewest builds so
// far; shard `index` (1-based) of `count` gets its trees with all their
// builds (the KRUSTFLAGS variants of one config share a tree and are never
// split). Depends only on the plan, so every machine computes the same
// split; the shards together are the plan.
std::vector<const BuildSpec*> ShardBuilds(const Plan& plan, int index, int count);

// "2/4" → {2, 4}; Kind::kInput unless 1 <= I <= N.
[[nodiscard]] Result<std::pair<int, int>> ParseShard(std::string_view text);

}  // namespace rfl::scenario

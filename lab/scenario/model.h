#pragma once
// The scenario model: what a scenario YAML says after loading and validation.
// Every field here is checked; later stages trust it. See docs/scenario.md
// for the user-facing description of each key.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/core/arch.h"
#include "lab/core/boot_mode.h"
#include "lab/core/outcome.h"

namespace rfl::scenario {

// Where the kernel source comes from.
struct KernelSource {
  enum class Kind { kDebian, kPath, kTarball };
  Kind kind = Kind::kDebian;
  std::string value;  // Debian package name (linux-source-7.3), or an absolute path
  std::string spec;   // as written: "debian:linux-source-7.3"
  // A short bounded label for reports and metrics: "7.3", or the dir/file name.
  std::string Label() const;
};

struct KernelSpec {
  std::vector<KernelSource> sources;  // one or more: a kernel-version axis
  std::string config = "tinyconfig";  // tinyconfig | defconfig | absolute path to a .config
  // Fragment files, resolved to absolute paths (images/kconfig/<name>.config
  // or a path relative to the scenario file), in the order given.
  std::vector<std::filesystem::path> fragments;
  std::vector<std::string> fragment_names;  // as written
};

struct Variant {
  std::string name;
  std::vector<std::string> rustflags;               // each a single safe rustc flag
  std::map<std::string, std::string> kconfig;       // SYMBOL (no CONFIG_) → y/n/m/number/"string"
  Expect expect = Expect::kPass;
  std::vector<std::string> allowed_warnings;        // regexes, added to the scenario's
  // rustc flag → the code-check verdict the variant expects when it is not
  // `effective` (partial | absent | not-applicable): docs/codecheck.md.
  std::map<std::string, std::string> expect_code;
};

struct BootSettings {
  Accel accel = Accel::kAuto;
  Timing timing = Timing::kIcount;
  uint64_t memory_bytes = 512ull << 20;
  int cpus = 1;
  std::chrono::seconds timeout{120};
  std::vector<std::string> cmdline;  // extra kernel command-line words
};

struct Repeat {
  int min = 5;
  int max = 5;  // > min: add boots while a verdict is inconclusive
};

// One workload in the guest. `params` is the validated parameter object that
// goes verbatim into the agent's plan (docs/agent-protocol.md), with defaults
// filled in; `timeout` bounds it inside the guest.
struct Workload {
  std::string name;  // boot | rust-samples | binder | block | kunit | command
  nlohmann::json params = nlohmann::json::object();
  std::chrono::seconds timeout{60};
};

struct Thresholds {
  double noise = 0.01;  // relative noise floor: ratios within 1 ± noise are "no change"
  double alpha = 0.05;  // significance level for Mann-Whitney U
};

// One ABI / target-modifier check the scenario asks for (`abi_checks:`,
// docs/abicheck.md): does each toolchain's rustc refuse to mix crates built
// with and without `flag`, on `arches` (empty: every arch of the scenario)?
struct AbiCheckRequest {
  std::string flag;
  std::vector<Arch> arches;
};

struct Scenario {
  std::filesystem::path path;  // the file it came from
  std::string text;            // its exact text (stored with every run)
  std::string name;
  std::string description;
  KernelSpec kernel;
  std::vector<std::string> toolchains;  // recipe names or "host"
  std::vector<Arch> arches;
  std::vector<Variant> variants;        // in file order
  std::string baseline;                 // a variant name
  BootSettings boot;
  Repeat repeat;
  std::vector<Workload> workloads;
  Thresholds thresholds;
  std::vector<std::string> allowed_warnings;  // regexes over console WARNING lines
  std::vector<AbiCheckRequest> abi_checks;

  const Variant* FindVariant(std::string_view name) const;
};

}  // namespace rfl::scenario

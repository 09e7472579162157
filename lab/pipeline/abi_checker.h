#pragma once
// The ABI-check stage of a run: the scenario's `abi_checks:` (plan
// abi_checks), one per flag × toolchain × arch, beside the builds. Each asks
// the toolchain's rustc whether it refuses to mix crates built with and
// without the flag (lab/codecheck/abi_check.h, docs/abicheck.md) and becomes
// a results::AbiCheckRecord, stored with the run; a known target modifier
// mixed silently is a finding (results::AbiCheckProblem).
//
// The real checker provisions the toolchain the way a build does (the same
// cache and recipe) and runs the check in it; unit tests of the run use a
// fake that returns records at once.
#include <filesystem>
#include <stop_token>

#include "lab/results/records.h"
#include "lab/scenario/plan.h"
#include "lab/util/result.h"

namespace rfl::pipeline {

class AbiChecker {
 public:
  virtual ~AbiChecker() = default;
  // One check. What rustc did is the record (a check that could not be
  // judged, or a flag this rustc refuses, is an `inconclusive` record with
  // the reason); an error means the lab could not work, or `stop` ended it
  // (Kind::kCancelled).
  [[nodiscard]] virtual Result<results::AbiCheckRecord> Check(const scenario::AbiCheckSpec& spec,
                                                              std::stop_token stop) = 0;
};

class ToolchainAbiChecker final : public AbiChecker {
 public:
  ToolchainAbiChecker(std::filesystem::path cache_dir, std::filesystem::path data_dir)
      : cache_dir_(std::move(cache_dir)), data_dir_(std::move(data_dir)) {}
  [[nodiscard]] Result<results::AbiCheckRecord> Check(const scenario::AbiCheckSpec& spec,
                                                      std::stop_token stop) override;

 private:
  std::filesystem::path cache_dir_;
  std::filesystem::path data_dir_;
};

}  // namespace rfl::pipeline

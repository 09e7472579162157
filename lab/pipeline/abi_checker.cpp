#include "lab/pipeline/abi_checker.h"

#include <fmt/format.h>

#include "lab/codecheck/abi_check.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/process.h"

namespace rfl::pipeline {

Result<results::AbiCheckRecord> ToolchainAbiChecker::Check(const scenario::AbiCheckSpec& spec, std::stop_token stop) {
  auto tc = toolchain::Provision(cache_dir_, data_dir_, spec.toolchain, DefaultRunner());
  if (!tc) return std::unexpected(tc.error().Wrap(fmt::format("the toolchain {}", spec.toolchain)));
  codecheck::AbiCheckOptions options;
  options.cache_dir = cache_dir_;
  options.stop = std::move(stop);
  auto r = codecheck::CheckAbiEnforcement(*tc, spec.arch, spec.flag, options);
  if (!r) {
    // rustc refuses the flag's value for this target: a record that says
    // why, so the run goes on and the report shows it.
    if (r.error().kind == Error::Kind::kInput) {
      auto out = results::UnjudgedAbiCheck(spec.flag, std::string(ArchName(spec.arch)), spec.toolchain,
                                           tc->versions.rustc, r.error().message);
      // What the check knows of the flag without running rustc.
      out.modifier = codecheck::ModifierName(spec.flag).value_or("");
      out.detail["modifier"] = out.modifier;
      out.detail["target"] = codecheck::KernelRustTarget(spec.arch);
      return out;
    }
    return std::unexpected(r.error());
  }
  results::AbiCheckRecord out = results::AbiCheckFromJson(codecheck::ToJson(*r));
  // The plan's name for the toolchain, as builds and boots carry it.
  out.toolchain = spec.toolchain;
  out.detail["toolchain"] = spec.toolchain;
  return out;
}

}  // namespace rfl::pipeline

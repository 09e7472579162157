#include "lab/pipeline/abi_checker.h"

#include <fmt/format.h>

#include "lab/codecheck/abi_check.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/process.h"

namespace rfl::pipeline {

namespace {

// A check rustc could not be asked (it refuses the flag's value): a record
// that says why, so the run goes on and the report shows it.
results::AbiCheckRecord Unjudged(const scenario::AbiCheckSpec& spec, const toolchain::Toolchain& tc,
                                 const std::string& why) {
  codecheck::AbiCheckResult r;
  r.flag = spec.flag;
  r.arch = spec.arch;
  r.target = std::string(codecheck::KernelRustTarget(spec.arch));
  r.toolchain = tc.name;
  r.rustc = tc.versions.rustc;
  r.modifier = codecheck::ModifierName(spec.flag).value_or("");
  r.crate_with_flag = {codecheck::AbiVerdict::kError, why, {}};
  return results::AbiCheckFromJson(codecheck::ToJson(r));
}

}  // namespace

Result<results::AbiCheckRecord> ToolchainAbiChecker::Check(const scenario::AbiCheckSpec& spec, std::stop_token stop) {
  auto tc = toolchain::Provision(cache_dir_, data_dir_, spec.toolchain, DefaultRunner());
  if (!tc) return std::unexpected(tc.error().Wrap(fmt::format("the toolchain {}", spec.toolchain)));
  codecheck::AbiCheckOptions options;
  options.cache_dir = cache_dir_;
  options.stop = std::move(stop);
  auto r = codecheck::CheckAbiEnforcement(*tc, spec.arch, spec.flag, options);
  if (!r) {
    if (r.error().kind == Error::Kind::kInput) return Unjudged(spec, *tc, r.error().message);
    return std::unexpected(r.error());
  }
  results::AbiCheckRecord out = results::AbiCheckFromJson(codecheck::ToJson(*r));
  // The plan's name for the toolchain, as builds and boots carry it.
  out.toolchain = spec.toolchain;
  out.detail["toolchain"] = spec.toolchain;
  return out;
}

}  // namespace rfl::pipeline

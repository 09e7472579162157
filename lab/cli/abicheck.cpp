// rfl-lab abicheck --toolchain T --arch A --flag FLAG... [--json]: does the
// toolchain's rustc refuse to mix crates that disagree on each flag (a
// target modifier), in both directions and through rustdoc --test, and does
// -Cunsafe-allow-abi-mismatch let it through? A table per flag (or --json);
// exit 0 when every known target modifier is enforced, 1 when one is mixed
// silently (a finding), 2 for bad input, 3 when a flag could not be judged.
// The check is lab/codecheck/abi_check.h.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "lab/cli/commands.h"
#include "lab/codecheck/abi_check.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"

namespace rfl::cli {
namespace {

// The toolchain by name, as provisioned; kInput/kNotFound say what to do.
Result<toolchain::Toolchain> AbicheckToolchain(const LabDirs& dirs, const std::string& name) {
  if (name == toolchain::kHostToolchain) {
    return toolchain::Provision(dirs.cache, dirs.data, name, DefaultRunner());
  }
  if (!toolchain::IsBroughtCompiler(name)) {
    auto names = toolchain::ListRecipeNames(dirs.data);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return FailAs(Error::Kind::kInput, "unknown toolchain '{}' (one of {}, host, dir:/path/to/sysroot, tarball:/path/rust-….tar.xz)", name,
                    fmt::join(names, ", "));
    }
  }
  auto tc = toolchain::FindProvisioned(dirs.cache, dirs.data, name);
  if (!tc) {
    return FailAs(Error::Kind::kNotFound, "toolchain '{}' is not provisioned (rfl-lab toolchain provision {})", name,
                  name);
  }
  return *tc;
}

void PrintAbiCase(std::string_view label, const codecheck::AbiCase& c) {
  if (c.verdict == codecheck::AbiVerdict::kNotRun) {
    std::cout << fmt::format("  {:<34} {}\n", label, codecheck::AbiVerdictName(c.verdict));
    return;
  }
  std::cout << fmt::format("  {:<34} {:<13} {:>6.1f} s\n", label, codecheck::AbiVerdictName(c.verdict),
                           c.elapsed.count() / 1000.0);
  if (c.verdict == codecheck::AbiVerdict::kError || c.verdict == codecheck::AbiVerdict::kUnknownFlag) {
    std::string_view e = c.excerpt;
    while (!e.empty()) {
      size_t nl = e.find('\n');
      std::cout << "    | " << e.substr(0, nl) << "\n";
      if (nl == std::string_view::npos) break;
      e.remove_prefix(nl + 1);
    }
  }
}

void PrintAbiResult(const codecheck::AbiCheckResult& r) {
  std::cout << fmt::format("\n{}  ({}, {}, rustc {}; `{}` {})\n", r.flag, ArchName(r.arch), r.target, r.rustc,
                           r.modifier,
                           r.known_target_modifier ? "is a target modifier" : "is not in the target-modifier list");
  if (!r.companions.empty()) {
    std::cout << fmt::format("  (with {} on both sides: rustc requires it with this flag on {})\n",
                             fmt::join(r.companions, " "), ArchName(r.arch));
  }
  PrintAbiCase("crate with the flag, core without", r.crate_with_flag);
  PrintAbiCase("crate without, core with the flag", r.core_with_flag);
  std::cout << fmt::format("  {:<34} {}\n", "escape hatch", codecheck::EscapeHatchName(r.escape_hatch));
  if (r.escape_hatch == codecheck::EscapeHatch::kFails) PrintAbiCase("  with -Cunsafe-allow-abi-mismatch", r.escape_hatch_case);
  PrintAbiCase("rustdoc --test, core without", r.rustdoc_mismatch);
  PrintAbiCase("rustdoc --test, core with the flag", r.rustdoc_matched);
  if (const auto& k = r.kcfi_types) {
    if (!k->error.empty()) {
      std::cout << fmt::format("  {:<34} {}\n", "kCFI type ids, C = Rust", "error");
      std::cout << "    | " << k->error;
      if (!k->error.ends_with('\n')) std::cout << "\n";
    } else {
      const size_t n = k->pairs.size();
      std::cout << fmt::format("  {:<34} {} of {} kernel callback types, {:.1f} s\n", "kCFI type ids, C = Rust",
                               k->Matching(), n, k->elapsed.count() / 1000.0);
      auto id = [](const std::optional<uint32_t>& v) { return v ? fmt::format("{:#010x}", *v) : std::string("none"); };
      for (const auto& p : k->pairs) {
        if (!p.Matches()) std::cout << fmt::format("    {}: C {} Rust {}\n", p.name, id(p.c_id), id(p.rust_id));
      }
      std::cout << fmt::format("    without normalization: {} of {}\n", k->PlainMatching(), n);
      std::cout << fmt::format("    without -Zmerge-functions=disabled: {} of {}\n", k->MergeableMatching(), n);
      for (const auto& p : k->pairs) {
        if (p.MergeableMatches() || p.rust_merged_with.empty()) continue;
        std::cout << fmt::format("      {}: C {} Rust {} (merged with r_{})\n", p.name, id(p.c_id),
                                 id(p.rust_mergeable_id), fmt::join(p.rust_merged_with, ", r_"));
      }
      std::cout << fmt::format("    ({})\n", k->clang);
    }
  }
  std::cout << fmt::format("  time {:.1f} s{}{}\n", r.elapsed.count() / 1000.0,
                           r.cores_cached ? " (cores cached)" : "", r.Finding() ? "  FINDING" : "");
}

}  // namespace

void RegisterAbicheckCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("abicheck",
                                 "Check that rustc refuses to mix crates built with and without an ABI-changing flag");
  struct Options {
    std::string toolchain;
    std::string arch;
    std::vector<std::string> flags;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("--toolchain", opt->toolchain, "A provisioned toolchain, e.g. rustc-1.96")->required();
  cmd->add_option("--arch", opt->arch, "x86_64, arm64 or riscv64 (the kernel's Rust target for it)")->required();
  cmd->add_option("--flag", opt->flags, "A rustc flag, e.g. -Zfixed-x18 (repeatable)")
      ->required()
      ->allow_extra_args(false);
  cmd->add_flag("--json", opt->json, "Print JSON instead of tables");
  cmd->callback([&ctx, opt] {
    auto arch = ParseArch(opt->arch);
    if (!arch) {
      return ctx.Fail(ExitCode::kBadInput,
                      fmt::format("unknown arch '{}' (one of {})", opt->arch, fmt::join(KnownArchNames(), ", ")));
    }
    for (const auto& f : opt->flags) {
      if (auto n = codecheck::ModifierName(f); !n) return ctx.Fail(n.error());
    }
    auto tc = AbicheckToolchain(ctx.Dirs(), toolchain::AbsoluteToolchainName(opt->toolchain));
    if (!tc) return ctx.Fail(tc.error());
    codecheck::AbiCheckOptions options;
    options.cache_dir = ctx.Dirs().cache;
    if (ctx.verbosity >= 0 && !opt->json) {
      options.on_progress = [](std::string_view line) { std::cerr << line << "\n"; };
    }
    nlohmann::json out = nlohmann::json::array();
    bool findings = false;
    for (const auto& f : opt->flags) {
      auto r = codecheck::CheckAbiEnforcement(*tc, *arch, f, options);
      if (!r) return ctx.Fail(r.error());
      findings |= r->Finding();
      if (r->Inconclusive()) {
        ctx.Warn(fmt::format("{}: could not be judged on {} (an `error` case; see its excerpt)", f, opt->arch));
        ctx.Raise(ExitCode::kLabFailure);
      }
      if (opt->json) {
        out.push_back(codecheck::ToJson(*r));
      } else {
        PrintAbiResult(*r);
      }
    }
    ctx.Raise(ExitCodeForFindings(findings));
    if (opt->json) std::cout << out.dump(2) << "\n";
  });
}

}  // namespace rfl::cli

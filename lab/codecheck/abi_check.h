#pragma once
// ABI checks (issue 14 item 2): does a toolchain's rustc refuse to mix crates
// that disagree on an ABI-changing flag (a "target modifier", RFC 3716)?
//
// For one flag × toolchain × arch, inside the toolchain's root filesystem
// (toolchain::InToolchain, bubblewrap): `core` and the kernel's
// `compiler_builtins` stub are built from the toolchain's rust-src for the
// arch's Rust target the way the kernel builds them (metadata only: the
// check reads crate metadata, no code is generated), once without the flag
// and once with it, cached per (toolchain id, arch, flag) under
// <cache>/abicheck/. Then a small `#![no_std]` crate is compiled
//   - with the flag against the plain `core` and, the reverse, without it
//     against the flagged `core`: rejected | accepted | unknown-flag | error;
//   - with the flag and `-Cunsafe-allow-abi-mismatch=<name>` against the plain
//     `core`, when the first case was rejected: the escape hatch works | fails;
//   - through `rustdoc --test --no-run -Zno-codegen` (a doctest in the crate),
//     with the flag against the plain `core` (should be rejected) and against
//     the flagged `core` (should be accepted: rustdoc once dropped target
//     modifiers and refused a matching build, rust-lang/rust #144521, #146465).
// A flag rustc does not know, or whose value it refuses, is found first by a
// probe that builds nothing. For -Zsanitizer=kcfi and
// -Zsanitizer-cfi-normalize-integers the check also compares the kCFI type
// ids the toolchain's clang and rustc give the same kernel callback types
// (kcfi_type_ids.h): a type whose ids differ is a finding.
//
// Every process has a timeout and stops on Ctrl-C (Command::stop); the
// classifiers are pure functions of rustc's exit status and output, tested on
// output captured from real runs (tests/fixtures/abicheck/).
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/codecheck/kcfi_type_ids.h"
#include "lab/core/arch.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::codecheck {

// What rustc did with one mix of flags.
enum class AbiVerdict {
  kRejected,     // "mixing `-Z…` will cause an ABI mismatch"
  kAccepted,     // compiled without a word
  kUnknownFlag,  // this rustc does not know the flag
  kError,        // something else failed (the excerpt says what)
  kNotRun,       // not attempted (an earlier step decided it)
};
std::string_view AbiVerdictName(AbiVerdict v);  // "rejected", "accepted", "unknown-flag", "error", "not-run"

enum class EscapeHatch { kWorks, kFails, kNotApplicable };
std::string_view EscapeHatchName(EscapeHatch e);  // "works", "fails", "n/a"

// One rustc or rustdoc invocation, judged.
struct AbiCase {
  AbiVerdict verdict = AbiVerdict::kNotRun;
  std::string excerpt;  // the error lines of the output (for kRejected, kError, kUnknownFlag)
  std::chrono::milliseconds elapsed{0};
};

struct AbiCheckResult {
  std::string flag;
  Arch arch = Arch::kX86_64;
  std::string target;                // the Rust target `core` was built for
  std::string toolchain;             // its name
  std::string rustc;                 // its rustc release
  std::string modifier;              // the option's name: "fixed-x18" for -Zfixed-x18
  bool known_target_modifier = false;  // listed in KnownTargetModifiers()
  std::vector<std::string> companions;  // on both sides of every compile (AbiCompanionFlags)
  AbiCase crate_with_flag;   // crate with the flag, core without
  AbiCase core_with_flag;    // crate without the flag, core with
  AbiCase escape_hatch_case; // crate with the flag + -Cunsafe-allow-abi-mismatch, core without
  EscapeHatch escape_hatch = EscapeHatch::kNotApplicable;
  AbiCase rustdoc_mismatch;  // rustdoc --test with the flag, core without
  AbiCase rustdoc_matched;   // rustdoc --test with the flag, core with it
  // -Zsanitizer=kcfi, -Zsanitizer-cfi-normalize-integers on x86_64 or arm64:
  // clang's and rustc's type ids of the same C function types.
  std::optional<KcfiTypeIdResult> kcfi_types;
  bool cores_cached = false;  // both cores came from the cache
  std::chrono::milliseconds elapsed{0};

  // A finding: a known target modifier mixed silently in either direction or
  // through rustdoc, an escape hatch that does not work, rustdoc refusing
  // a matching build, or a C function type whose kCFI ids differ between
  // clang and rustc.
  bool Finding() const;
  // The check could not judge the flag (an `error` case).
  bool Inconclusive() const;
};
nlohmann::json ToJson(const AbiCheckResult& r);

struct AbiCheckOptions {
  std::filesystem::path cache_dir;  // cores under <cache_dir>/abicheck/
  ProcessRunner* runner = nullptr;  // DefaultRunner() when null
  std::chrono::milliseconds core_timeout{std::chrono::minutes(20)};  // one `core` build
  std::chrono::milliseconds crate_timeout{std::chrono::minutes(2)};  // one crate / doctest / probe
  std::function<void(std::string_view)> on_progress;                 // "building core (…)"
  std::stop_token stop = InterruptToken();  // kills rustc and ends the check as cancelled (Ctrl-C by default)
};

// Runs the whole check. An error is the lab's (a process could not start,
// Ctrl-C, a timeout, the cache) or the user's (kInput: the flag is not one
// rustc flag, or rustc refuses its value); rustc's verdicts are results.
[[nodiscard]] Result<AbiCheckResult> CheckAbiEnforcement(const toolchain::Toolchain& tc, Arch arch,
                                                         std::string_view flag, const AbiCheckOptions& options);

// --- pure parts, exposed for tests ---

// The flag's option name with '_' as '-': "-Zfixed-x18" → "fixed-x18",
// "-Zbranch-protection=bti" → "branch-protection", "-Cfoo=1" → "foo".
// kInput unless the flag is one `-Z`/`-C` option word (no whitespace, no
// separate value, no characters a shell or make would interpret).
[[nodiscard]] Result<std::string> ModifierName(std::string_view flag);

// The flags the kernel always passes with `flag` on `arch` and without which
// rustc refuses it: they go on both sides of every compile of the check (both
// cores, the crate, rustdoc), so that only `flag` differs. arm64's
// -Zsanitizer=shadow-call-stack needs -Zfixed-x18; most flags need none.
std::vector<std::string> AbiCompanionFlags(std::string_view flag, Arch arch);

// The target modifiers rustc knows as of 1.96 (option names).
const std::vector<std::string>& KnownTargetModifiers();

// The Rust target the kernel's Makefiles use for `arch` (x86_64's real one
// is a generated JSON spec; the built-in x86_64-unknown-none stands in).
std::string_view KernelRustTarget(Arch arch);

// Judges one rustc (or rustdoc) run from its exit status and output.
AbiVerdict ClassifyCompile(bool succeeded, std::string_view output);

// Judges the probe that only parses the flag: kUnknownFlag, kError with a
// bad value (true from RefusedValue), or kAccepted.
bool RefusedValue(std::string_view output);

// The names rustc suggests in "you may use `-Cunsafe-allow-abi-mismatch=NAME`",
// in order, comma-separated (what the option takes): one per mismatched option.
std::optional<std::string> SuggestedEscapeHatch(std::string_view output);

// The error lines of rustc's output (lines starting "error" and their
// "= note"/"= help" lines), at most `max_lines`.
std::string ErrorExcerpt(std::string_view output, size_t max_lines = 12);

}  // namespace rfl::codecheck

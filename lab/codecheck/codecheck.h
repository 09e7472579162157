#pragma once
// Code checks: does each rustc flag leave its signature in the generated
// code? The one entry point, CheckCode, reads ELF objects (a kernel tree's
// Rust .o files, or vmlinux), decodes every function with LLVM's
// disassembler and asks each flag's check (checks.h) about each function.
//
// Guarantee: a verdict comes from the instructions and relocations of the
// objects given, nothing else — no build log, no .cmd file. A check that
// cannot fail is not a check: every check has a fixture compiled without
// its flag that comes out `absent` (tests/unit/codecheck_*_test.cpp).
//
// The run's code-check stage (lab/pipeline/code_check.h) calls CheckCode on
// each build's Rust objects. Not here yet (issue 14): kCFI / jump-table / SCS
// checks and ABI (target modifier) checks — see docs/codecheck.md.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/core/arch.h"
#include "lab/util/result.h"

namespace rfl::codecheck {

enum class Verdict {
  kEffective,      // every judged function carries the signature
  kPartial,        // some do, some do not
  kAbsent,         // none do (or, for violation-only checks, one violates)
  kNotApplicable,  // no object of the flag's arch, or nothing to judge
};
std::string_view VerdictName(Verdict v);  // "effective", "partial", "absent", "not-applicable"

struct Offender {
  std::string function;  // readable: Rust symbols demangled (lab/util/demangle.h)
  std::string object;    // path as given or found
  std::string reason;
  std::string symbol;    // as in the object's symbol table
};

struct FlagResult {
  std::string flag;
  Verdict verdict = Verdict::kNotApplicable;
  std::string arch;              // the objects' arch the flag was judged on; empty when none
  size_t objects = 0;            // objects of that arch
  size_t functions = 0;          // functions in them
  size_t checked = 0;            // judged: with the signature + offenders
  size_t with_signature = 0;
  size_t exempt = 0;             // documented exceptions (not applicable)
  size_t offenders_total = 0;
  std::vector<Offender> offenders;  // the first kMaxOffenders
  std::vector<std::string> notes;
};

inline constexpr size_t kMaxOffenders = 10;

struct CodeCheckRequest {
  // Object files (any ELF, judged whatever produced it) and directories
  // (searched recursively for *.o files that rustc produced: a kernel tree's
  // C objects are skipped).
  std::vector<std::filesystem::path> inputs;
  std::vector<std::string> flags;
  // When set, every object must be of this arch.
  std::optional<Arch> arch;
};

struct CodeCheckReport {
  std::vector<FlagResult> results;  // one per flag, in request order
  std::vector<std::string> objects; // the objects read
  size_t skipped_objects = 0;       // *.o under a directory not produced by rustc
  size_t functions = 0;
  size_t instructions = 0;
};

// Unknown flag, missing input, not an ELF, an arch other than `arch` →
// Error::Kind::kInput.
[[nodiscard]] Result<CodeCheckReport> CheckCode(const CodeCheckRequest& request);

nlohmann::json ToJson(const CodeCheckReport& report);

}  // namespace rfl::codecheck

#pragma once
// kCFI across the language boundary: does a C function type get the same
// kCFI type id from clang as from rustc? The kernel calls Rust callbacks
// from C through pointers (file_operations, blk_mq_ops, workqueues,
// hrtimers); C's check compares the id clang computed for the pointer's type
// with the id rustc put before the Rust function, so a difference is a CFI
// failure on the first call. -Zsanitizer-cfi-normalize-integers (and
// clang's -fsanitize-cfi-icall-experimental-normalize-integers, the kernel's
// CONFIG_CFI_ICALL_NORMALIZE_INTEGERS) exist to make them agree.
//
// The probe (images/abicheck/kcfi_types.{c,rs}): one function per kernel
// callback type, `c_<name>` compiled by the toolchain's clang and `r_<name>`
// by its rustc, with the kernel's CFI flags (clang: -fsanitize=kcfi
// -fsanitize-cfi-icall-experimental-normalize-integers; rustc: its
// RUSTC_FLAGS_CFI, -Zsanitizer=kcfi -Zsanitizer-cfi-normalize-integers
// -Zmerge-functions=disabled): each pair must carry one id. Two controls,
// which show what each flag is for and that the comparison can fail:
//   - without normalization on either side: integer-typed callbacks differ;
//   - rustc without -Zmerge-functions=disabled: LLVM's MergeFunctions folds
//     Rust callbacks with the same code into one, whose single preamble then
//     carries one type's id for all of them (llvm/llvm-project#217629, fixed
//     in LLVM by #217665; the kernel disables merging instead).
// Run by the ABI check of -Zsanitizer=kcfi and of
// -Zsanitizer-cfi-normalize-integers (abi_check.h); here are the pure parts.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/codecheck/elf_object.h"

namespace rfl::codecheck {

// One callback type: the id of each side, with and without normalization
// (nullopt: that side has no kCFI preamble for it, or was not compiled).
struct KcfiTypePair {
  std::string name;  // "open" for c_open / r_open
  std::optional<uint32_t> c_id, rust_id;              // the kernel's flags
  std::optional<uint32_t> c_plain_id, rust_plain_id;  // without normalization
  std::optional<uint32_t> rust_mergeable_id;          // rustc without -Zmerge-functions=disabled
  // In that last build, the other `r_` functions whose code r_<name> shares.
  std::vector<std::string> rust_merged_with;
  bool Matches() const { return c_id && rust_id && *c_id == *rust_id; }
  bool PlainMatches() const { return c_plain_id && rust_plain_id && *c_plain_id == *rust_plain_id; }
  bool MergeableMatches() const { return c_id && rust_mergeable_id && *c_id == *rust_mergeable_id; }
};

struct KcfiTypeIdResult {
  std::string clang;  // `clang --version`'s first line
  std::vector<KcfiTypePair> pairs;
  std::string error;  // a compile that failed: its excerpt (the result is then inconclusive)
  std::chrono::milliseconds elapsed{0};

  size_t Matching() const;           // pairs whose ids agree with the kernel's flags
  size_t PlainMatching() const;      // … without normalization
  size_t MergeableMatching() const;  // … with rustc merging functions
  // Some type's ids differ with the kernel's flags: C's calls into Rust
  // through that type would trap.
  bool Finding() const;
  // Nothing to compare: a compile failed, or a side has no preambles.
  bool Inconclusive() const;
};
nlohmann::json ToJson(const KcfiTypeIdResult& r);

// The kCFI type id of each function called `<prefix><name>` in `obj`, by
// name (the prefix dropped): the id before its entry, also where the name is
// an alias of another function.
std::map<std::string, uint32_t> KcfiTypeIdsByName(const ElfObject& obj, std::string_view prefix);

// The objects of one probe.
struct KcfiProbeObjects {
  const ElfObject& c;               // clang, normalized
  const ElfObject& rust;            // rustc, the kernel's flags
  const ElfObject& c_plain;         // clang, not normalized
  const ElfObject& rust_plain;      // rustc, not normalized
  const ElfObject& rust_mergeable;  // rustc, the kernel's flags but merging functions
};
// The pairs of the objects' ids (`c_…`, `r_…`), one per name either C
// object defines, sorted by name.
std::vector<KcfiTypePair> PairKcfiTypeIds(const KcfiProbeObjects& objects);

// Whether the ABI check of `flag` runs the probe: -Zsanitizer=kcfi (alone
// or with other sanitizers) or -Zsanitizer-cfi-normalize-integers.
bool FlagWantsKcfiTypeIds(std::string_view flag);

// The compilers' arguments for the probe, as the kernel passes them: clang
// for `clang_target` (x86_64-linux-gnu, aarch64-linux-gnu), and the flags
// rustc gets besides the ABI check's common ones.
std::vector<std::string> KcfiProbeClangArgs(std::string_view clang_target, bool normalize);
std::vector<std::string> KcfiProbeRustcFlags(bool normalize, bool merge_functions);

}  // namespace rfl::codecheck

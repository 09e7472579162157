#pragma once
// The checks, one file each; their rules and exceptions are written at the
// top of that file. flags.cpp is the one place that maps a rustc flag to one.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lab/codecheck/check.h"

namespace rfl::codecheck {

// cf_protection.cpp: x86 `endbr64` at function entries.
std::unique_ptr<FlagCheck> MakeCfProtectionCheck(std::string flag);
// function_return.cpp: x86 no `ret`, `jmp __x86_return_thunk` instead.
std::unique_ptr<FlagCheck> MakeFunctionReturnCheck(std::string flag);
// patchable_entry.cpp: `prefix` NOP units before the entry, `total - prefix`
// after it, each entry listed in __patchable_function_entries.
std::unique_ptr<FlagCheck> MakePatchableEntryCheck(std::string flag, uint32_t total, uint32_t prefix);
// branch_protection.cpp: arm64 BTI landing pads and/or PAC return signing.
struct BranchProtection {
  bool bti = false;
  bool pac_ret = false;
  bool leaf = false;  // pac-ret,leaf: sign leaf functions too
};
std::unique_ptr<FlagCheck> MakeBranchProtectionCheck(std::string flag, BranchProtection what);
// jump_tables.cpp: x86 no switch lowered to a jump table (-Cjump-tables=n,
// -Zno-jump-tables before rustc 1.93).
std::unique_ptr<FlagCheck> MakeJumpTablesCheck(std::string flag);
// retpoline.cpp: x86 no indirect call or jump; a call or jump to
// `__x86_indirect_thunk_<reg>` instead (-Zretpoline-external-thunk).
std::unique_ptr<FlagCheck> MakeRetpolineCheck(std::string flag);
// kcfi.cpp: x86 kCFI type-id preambles and a type check before every
// indirect call (-Zsanitizer=kcfi).
std::unique_ptr<FlagCheck> MakeKcfiCheck(std::string flag);
// The kCFI type id before `fn`'s entry (x86_64: `mov eax, TYPEID` under its
// `__cfi_` label; arm64: the `.word` a `$d` symbol marks), if it has one.
std::optional<uint32_t> KcfiTypeId(const ElfObject& obj, const ElfFunction& fn);
// shadow_call_stack.cpp: arm64 and riscv64 non-leaf functions push the
// return address to the shadow stack (x18, gp) and pop it before each return.
std::unique_ptr<FlagCheck> MakeShadowCallStackCheck(std::string flag);
// fixed_x18.cpp: arm64 no instruction writes x18.
std::unique_ptr<FlagCheck> MakeFixedX18Check(std::string flag);

}  // namespace rfl::codecheck

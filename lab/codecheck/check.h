#pragma once
// The interface every flag's code check implements: given one function's
// decoded code, is the flag's signature there? One check per file
// (cf_protection.cpp, function_return.cpp, …); MakeFlagCheck (flags.h) maps a
// rustc flag to its check. Each check writes its legitimate exceptions next
// to its rule, and docs/codecheck.md repeats them for users.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lab/codecheck/disassembler.h"
#include "lab/codecheck/elf_object.h"

namespace rfl::codecheck {

// One function as a check sees it.
struct FunctionCode {
  const ElfObject& object;
  const ElfFunction& function;
  const Disassembler& disassembler;
  std::span<const Instruction> instructions;  // the body (or its start: see FlagCheck::needs_body)
  std::span<const uint8_t> bytes;             // the whole body
  std::span<const uint8_t> before;            // the section's bytes before the entry
  std::span<const ElfRelocation> relocations; // applying inside the body (offsets are section offsets)
  uint64_t address = 0;                       // of the entry: section address + offset
  // A reference to the function other than a direct call or jump (a
  // pointer taken). Known only in relocatable objects; false in vmlinux.
  bool address_taken = false;
};

// What a check concluded about one function.
enum class Signature {
  kPresent,        // the flag's code is there
  kMissing,        // it should be and is not: an offender
  kNotApplicable,  // a documented exception, or nothing to judge (e.g. a function that never returns)
};

struct Judgement {
  Signature signature = Signature::kNotApplicable;
  std::string reason;  // for kMissing: what is wrong; for kNotApplicable: which exception
};

// How the functions' judgements become a verdict.
enum class Evidence {
  // Each function with the signature is evidence the flag reached it:
  // all → effective, none → absent, some → partial.
  kPerFunction,
  // The signature is the absence of something (no x18 write): a function
  // that never needed x18 proves nothing, so any offender → absent, none →
  // effective; partial cannot be told from absent.
  kViolationsOnly,
};

class FlagCheck {
 public:
  virtual ~FlagCheck() = default;
  virtual std::string_view flag() const = 0;  // canonical spelling, e.g. "-Zcf-protection=branch"
  virtual bool AppliesTo(Arch arch) const = 0;  // objects of another arch: not applicable
  virtual Evidence evidence() const { return Evidence::kPerFunction; }
  // Whether Judge needs every instruction; false: the first few suffice.
  virtual bool needs_body() const { return true; }
  // Called once per object before its functions; returns notes for the user
  // (e.g. what cannot be checked in a linked image).
  virtual std::vector<std::string> BeginObject(const ElfObject&) { return {}; }
  virtual Judgement Judge(const FunctionCode& fn) const = 0;
};

// Helpers shared by the checks.

// The relocation applying at section offset `offset`, if any.
const ElfRelocation* RelocationAt(std::span<const ElfRelocation> relocs, uint64_t offset);

// For an x86_64 `call rel32` (e8) or `jmp rel32` (e9) in a relocatable
// object: the relocation of its displacement, which names the target symbol
// (a callee, a tail call, a return or retpoline thunk). nullptr for any
// other instruction, or in a linked image, where the target is an address.
const ElfRelocation* Rel32BranchRelocation(const FunctionCode& fn, const Instruction& insn);

// In a linked image: the target address of an x86_64 `call rel32` (e8) or
// `jmp rel32` (e9); nullopt for any other instruction.
std::optional<uint64_t> X86Rel32Target(const FunctionCode& fn, const Instruction& insn);

// x86_64: whether a call or jump's operands (Intel syntax) are an address
// (a direct branch: "0x1c", "-0x4", "-53") rather than a register or memory.
bool IsX86DirectTarget(std::string_view operands);

// x86_64 retpolines: an indirect call or jump through register R becomes a
// call or jump to `__x86_indirect_thunk_R`.
inline constexpr std::string_view kRetpolineThunkPrefix = "__x86_indirect_thunk_";

// An instruction that stores the return address: arm64 a store (`st*`) of
// x30, riscv64 `sd ra, …` (a spill to the stack, or a shadow-call-stack push).
bool Arm64StoresX30(const Instruction& insn);
bool Riscv64StoresRa(const Instruction& insn);
// arm64: an instruction that calls (`bl`/`blr`) or stores x30. After it the
// return address has left x30 (or is about to be overwritten): from there on
// it is worth protecting.
bool Arm64SpillsReturnAddress(const Instruction& insn);
// For each of fn.instructions: whether some path from the entry reaches it
// after an instruction for which `spills` is true (intra-function control
// flow: arm64 and riscv64 branches, conditional branches, returns, traps).
// A return no such path reaches is a shrink-wrapped early exit, taken
// before the prologue, with the return address untouched in its register.
std::vector<bool> ReachedAfter(const FunctionCode& fn, const std::function<bool(const Instruction&)>& spills);
// An arm64 function with an instruction that spills x30: a non-leaf.
bool IsArm64NonLeaf(const FunctionCode& fn);

// Leading NOP instructions: their total size in bytes, and the index of the
// first instruction that is not one.
struct NopRun {
  uint64_t bytes = 0;
  size_t next = 0;
};
NopRun CountNops(Arch arch, std::span<const Instruction> insns, size_t from = 0);
bool IsNop(Arch arch, const Instruction& insn);

}  // namespace rfl::codecheck

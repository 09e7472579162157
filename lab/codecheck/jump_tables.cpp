// -Cjump-tables=n (rustc 1.93 and later; -Zno-jump-tables before; the kernel
// passes it with X86_KERNEL_IBT, where an indirect jump into a switch would
// need landing pads): no switch is lowered to a table of targets and an
// indirect jump through it.
//
// A jump table in x86_64 code, as LLVM emits it:
// - the kernel's static code model: `jmp qword ptr [8*rbx + TABLE]` — an
//   indirect jump through memory with a scaled index (R_X86_64_32S against
//   .rodata in a .o, an absolute address in vmlinux), the table a run of
//   R_X86_64_64 entries pointing into the function;
// - position-independent code: `lea rax, [rip + TABLE]`, `movsxd rcx, dword
//   ptr [rax + 4*rbx]`, `add rcx, rax`, `jmp rcx` — a register jump, the
//   table a run of R_X86_64_PC32 entries pointing into the function;
// - with retpolines the register jump becomes `jmp __x86_indirect_thunk_rcx`.
// So a function has a jump table when it jumps through a scaled memory
// operand, or when it jumps indirectly (a register, or a retpoline thunk)
// and a .rodata section holds relocations pointing into its body.
//
// Evidence: a function without a switch proves nothing, so one table makes
// the verdict `absent` (Evidence::kViolationsOnly).
//
// Exceptions, and why:
// - A tail call through a function pointer is also an indirect jump; it is
//   not a table unless .rodata points into the jumping function.
// - In a linked image (vmlinux) relocations are gone: only the scaled memory
//   form is judged there (the kernel's form); judge the Rust objects, which
//   the lab keeps with each artifact.
// - x86_64 only for now: arm64 tables hold byte offsets from a base inside
//   the function (`adr`, `ldrb`, `add`, `br`) with no relocation to tell them
//   from a tail call through a register.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

class JumpTablesCheck final : public FlagCheck {
 public:
  explicit JumpTablesCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kX86_64; }
  Evidence evidence() const override { return Evidence::kViolationsOnly; }

  // Where .rodata points into code: section index → sorted offsets.
  std::vector<std::string> BeginObject(const ElfObject& obj) override {
    rodata_targets_.clear();
    for (size_t i = 0; i < obj.sections.size() && i < obj.relocations.size(); ++i) {
      const std::string& name = obj.sections[i].name;
      if (name != ".rodata" && !name.starts_with(".rodata.")) continue;
      for (const ElfRelocation& r : obj.relocations[i]) {
        if (r.symbol_section == 0 || r.symbol_section >= obj.sections.size()) continue;
        if (!obj.sections[r.symbol_section].executable) continue;
        rodata_targets_[r.symbol_section].push_back(r.symbol_value + static_cast<uint64_t>(r.addend));
      }
    }
    for (auto& [section, offsets] : rodata_targets_) std::sort(offsets.begin(), offsets.end());
    return {};
  }

  Judgement Judge(const FunctionCode& fn) const override {
    const Instruction* indirect = nullptr;
    for (const Instruction& insn : fn.instructions) {
      if (!insn.valid() || insn.mnemonic != "jmp") continue;
      if (insn.operands.find("ptr [") != std::string::npos && insn.operands.find('*') != std::string::npos) {
        return {Signature::kMissing, fmt::format("jump table: jmp {}", insn.operands)};
      }
      if (!IsX86DirectTarget(insn.operands) || IsThunkJump(fn, insn)) indirect = &insn;
    }
    if (indirect != nullptr && fn.object.relocatable) {
      size_t entries = RodataEntriesInto(fn);
      if (entries > 0) {
        return {Signature::kMissing,
                fmt::format("jump table: jmp {} with {} .rodata entries pointing into the function",
                            indirect->operands, entries)};
      }
    }
    return {Signature::kPresent, {}};
  }

 private:
  // `jmp rel32` whose relocation names a retpoline thunk.
  static bool IsThunkJump(const FunctionCode& fn, const Instruction& insn) {
    const ElfRelocation* r = Rel32BranchRelocation(fn, insn);
    return r != nullptr && r->symbol.starts_with(kRetpolineThunkPrefix);
  }

  // .rodata relocations whose target lies inside the body, past the entry
  // (a pointer to the entry itself is a function pointer, not a case).
  size_t RodataEntriesInto(const FunctionCode& fn) const {
    auto it = rodata_targets_.find(fn.function.section);
    if (it == rodata_targets_.end()) return 0;
    const auto& offsets = it->second;
    auto lo = std::upper_bound(offsets.begin(), offsets.end(), fn.function.offset);
    auto hi = std::lower_bound(offsets.begin(), offsets.end(), fn.function.offset + fn.function.size);
    return lo < hi ? static_cast<size_t>(hi - lo) : 0;
  }

  std::string flag_;
  std::map<size_t, std::vector<uint64_t>> rodata_targets_;
};

}  // namespace

std::unique_ptr<FlagCheck> MakeJumpTablesCheck(std::string flag) {
  return std::make_unique<JumpTablesCheck>(std::move(flag));
}

}  // namespace rfl::codecheck

// -Zretpoline-external-thunk (the kernel's MITIGATION_RETPOLINE; the kernel
// sets the same three target features, `+retpoline-external-thunk`,
// `+retpoline-indirect-branches`, `+retpoline-indirect-calls`, in the target
// spec scripts/generate_rust_target.rs writes, because rustc had no flag when
// it was written): no indirect call or jump through a register or memory;
// each is a call or jump to `__x86_indirect_thunk_<reg>` instead. In a .o
// that branch is `e8`/`e9` with a relocation naming the thunk; in a linked
// image its target is the thunk's address.
//
// A function with a thunk branch carries the signature; one with a plain
// indirect branch (`call rax`, `jmp rcx`, `call qword ptr [rbx + 8]`, a
// switch's `jmp qword ptr [8*rax + TABLE]`) is an offender; one with neither
// has nothing to judge.
//
// Exceptions, and why:
// - rip-relative `call [rip + …]` is a GOT slot (a direct call in
//   position-independent code), not a function pointer; the kernel's code
//   model has none.
// - The thunks themselves (`__x86_indirect_thunk_*`, `__x86_indirect_call_thunk_*`,
//   `__x86_indirect_jump_thunk_*`) and other hand-written assembly in vmlinux:
//   the thunks are exempted by name; other assembly shows up as offenders,
//   so judge the Rust objects.
// - C's `-mindirect-branch-cs-prefix` puts a `cs` prefix on the thunk call
//   (for the kernel's in-place patching); rustc has no such option, so Rust
//   objects carry the plain call.
#include <set>

#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

class RetpolineCheck final : public FlagCheck {
 public:
  explicit RetpolineCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kX86_64; }

  std::vector<std::string> BeginObject(const ElfObject& obj) override {
    thunk_addresses_.clear();
    if (!obj.relocatable) {
      for (const auto& [name, address] : obj.symbol_addresses) {
        if (name.starts_with(kRetpolineThunkPrefix)) thunk_addresses_.insert(address);
      }
    }
    return {};
  }

  Judgement Judge(const FunctionCode& fn) const override {
    if (fn.function.name.starts_with("__x86_indirect_")) return {Signature::kNotApplicable, "a retpoline thunk itself"};
    size_t thunks = 0;
    for (const Instruction& insn : fn.instructions) {
      if (!insn.valid() || (insn.mnemonic != "call" && insn.mnemonic != "jmp")) continue;
      if (IsX86DirectTarget(insn.operands)) {
        if (IsThunkBranch(fn, insn)) ++thunks;
        continue;
      }
      if (insn.operands.find("[rip") != std::string::npos) continue;  // a GOT slot
      return {Signature::kMissing, fmt::format("indirect {} {}", insn.mnemonic, insn.operands)};
    }
    if (thunks > 0) return {Signature::kPresent, {}};
    return {Signature::kNotApplicable, "no indirect call or jump"};
  }

 private:
  // `call`/`jmp rel32` whose target is a retpoline thunk.
  bool IsThunkBranch(const FunctionCode& fn, const Instruction& insn) const {
    if (fn.object.relocatable) {
      const ElfRelocation* r = Rel32BranchRelocation(fn, insn);
      return r != nullptr && r->symbol.starts_with(kRetpolineThunkPrefix);
    }
    auto target = X86Rel32Target(fn, insn);
    return target && thunk_addresses_.contains(*target);
  }

  std::string flag_;
  std::set<uint64_t> thunk_addresses_;
};

}  // namespace

std::unique_ptr<FlagCheck> MakeRetpolineCheck(std::string flag) {
  return std::make_unique<RetpolineCheck>(std::move(flag));
}

}  // namespace rfl::codecheck

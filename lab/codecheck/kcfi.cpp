// -Zsanitizer=kcfi (the kernel's CONFIG_CFI_CLANG, with
// -Zsanitizer-cfi-normalize-integers): every function carries its type id
// before its entry, and every indirect call checks the target's id first.
// On x86_64, as LLVM emits it:
// - the preamble, labelled `__cfi_<fn>` (the label is required): NOP
//   padding, then `mov eax, TYPEID`
//   (b8 + imm32) ending at the entry (with patchable-function-entry prefix
//   NOPs, the NOPs follow the mov);
// - at an indirect call through register R: `mov r10d, -TYPEID`,
//   `add r10d, dword ptr [R - 0x4]`, `je`, `ud2`, then the call (`call R`,
//   or `call __x86_indirect_thunk_R` with retpolines); an indirect tail call
//   (`jmp R`) the same;
// - each such `ud2` listed in `.kcfi_traps` (the kernel's trap handler
//   tells a CFI failure from any other ud2 by it).
// A function has the signature when its preamble is there and each of its
// indirect calls is checked (and, in a .o, each check's ud2 is a listed trap).
//
// Exceptions, and why:
// - A local function whose address is never taken: nothing can reach it
//   indirectly, so a missing preamble is allowed (rustc 1.96 still emits
//   one). In vmlinux every local function is given that benefit (no
//   relocations to tell), as in the cf-protection check.
// - Indirect jumps through memory (`jmp [8*rbx + TABLE]`) are switch jump
//   tables, not calls through a function pointer: kCFI does not check them.
// - Hand-written assembly in vmlinux has no preamble: judge Rust objects.
// On arm64 (the kernel's arch/arm64/kernel/traps.c decodes the brk):
// - the preamble: the type id as a data word (`.word TYPEID`, marked by a
//   `$d` mapping symbol) ending at the entry, or followed only by NOPs;
// - at an indirect call `blr xR` (or tail call `br xR`): `ldur w16, [xR, #-4]`,
//   `movk w17, …` ×2, `cmp w16, w17`, `b.eq`, then `brk #0x8…` (the
//   immediate encodes the registers; no .kcfi_traps section on arm64).
//   A `br` whose register an `adr`/`add … lsl` just computed is a switch
//   jump table, which kCFI does not check.
// riscv64: rustc 1.96 refuses -Zsanitizer=kcfi for riscv64imac-unknown-none-elf
// ("kcfi sanitizer is not supported for this target"): not judged.
// That a C-ABI function type has the same id on the C and the Rust side (what
// -Zsanitizer-cfi-normalize-integers is for) is a property of the compiler
// pair, checked by the ABI check's kCFI type-id probe (kcfi_type_ids.h).
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "lab/codecheck/checks.h"

namespace rfl::codecheck {
namespace {

// How far back from an indirect call its type check may start: mov, add,
// je, ud2 (and a register move the compiler schedules between them).
constexpr size_t kCheckWindow = 6;
// arm64: ldur, movk, movk, cmp, b.eq, brk (and a move scheduled between).
constexpr size_t kArm64CheckWindow = 8;

// A branch through a register: operands that are neither an address nor
// memory ("rax", not "0x1c" or "qword ptr [rbx + 8]").
bool IsRegister(std::string_view operands) {
  return !operands.empty() && !IsX86DirectTarget(operands) &&
         operands.find_first_of("[ ") == std::string_view::npos;
}

// The imm32 of `mov eax, imm32` (b8 xx xx xx xx) ending at the entry, or
// followed only by one-byte NOPs up to it — under LLVM's `__cfi_<fn>`
// label: without it, bytes that only look like one (the end of the
// function before, then patchable-entry NOPs) are no preamble.
std::optional<uint32_t> X86PreambleTypeId(const ElfObject& obj, const ElfFunction& fn, std::span<const uint8_t> b) {
  // The label may be of any name for the entry (a merged function's alias).
  bool labelled = obj.SymbolAddress("__cfi_" + fn.name).has_value();
  for (size_t i = 0; i < fn.aliases.size() && !labelled; ++i) {
    labelled = obj.SymbolAddress("__cfi_" + fn.aliases[i]).has_value();
  }
  if (!labelled) return std::nullopt;
  size_t end = b.size();
  for (size_t nops = 0; nops <= 16 && end >= 5; ++nops) {
    if (b[end - 5] == 0xb8) {
      uint32_t id = 0;
      std::memcpy(&id, b.data() + end - 4, sizeof id);
      return id;
    }
    if (b[end - 1] != 0x90) break;
    --end;
  }
  return std::nullopt;
}

// arm64: the data word (a `$d` mapping symbol at it) ending at the entry,
// or followed only by NOP words up to it.
std::optional<uint32_t> Arm64PreambleTypeId(const ElfSection& sec, std::span<const uint8_t> b) {
  constexpr uint8_t kNop[4] = {0x1f, 0x20, 0x03, 0xd5};  // d503201f
  size_t end = b.size();
  for (size_t nops = 0; nops <= 16 && end >= 4; ++nops, end -= 4) {
    if (sec.HasDataMarkAt(end - 4)) {
      uint32_t id = 0;
      std::memcpy(&id, b.data() + end - 4, sizeof id);
      return id;
    }
    if (std::memcmp(b.data() + end - 4, kNop, 4) != 0) break;
  }
  return std::nullopt;
}

class KcfiCheck final : public FlagCheck {
 public:
  explicit KcfiCheck(std::string flag) : flag_(std::move(flag)) {}
  std::string_view flag() const override { return flag_; }
  bool AppliesTo(Arch arch) const override { return arch == Arch::kX86_64 || arch == Arch::kArm64; }

  std::vector<std::string> BeginObject(const ElfObject& obj) override {
    traps_.clear();
    relocatable_ = obj.relocatable;
    for (size_t i = 0; i < obj.sections.size() && i < obj.relocations.size(); ++i) {
      if (obj.sections[i].name != ".kcfi_traps") continue;
      for (const ElfRelocation& r : obj.relocations[i]) {
        traps_.insert({r.symbol_section, r.symbol_value + static_cast<uint64_t>(r.addend)});
      }
    }
    if (obj.relocatable) return {};
    return {fmt::format("{} is linked: without relocations a local function's address-taken status and the "
                        ".kcfi_traps entries are not known, so local functions without a preamble are not counted",
                        obj.path.filename().string())};
  }

  Judgement Judge(const FunctionCode& fn) const override {
    bool arm64 = fn.disassembler.arch() == Arch::kArm64;
    auto type_id = KcfiTypeId(fn.object, fn.function);
    if (!type_id) {
      if (fn.function.local && !fn.address_taken) {
        return {Signature::kNotApplicable, "local, address never taken: no indirect call can reach it"};
      }
      return {Signature::kMissing, arm64 ? "no kCFI type id (.word TYPEID) before the entry"
                                         : "no kCFI type id (mov eax, TYPEID) before the entry"};
    }
    if (arm64) return JudgeArm64Calls(fn);
    for (size_t i = 0; i < fn.instructions.size(); ++i) {
      const Instruction& insn = fn.instructions[i];
      if (!IsIndirectCall(fn, insn)) continue;
      auto trap = CheckBefore(fn, i);
      if (!trap) {
        return {Signature::kMissing, fmt::format("{} {} at +{:#x} without a type check", insn.mnemonic,
                                                 insn.operands, insn.offset)};
      }
      if (relocatable_ && !traps_.contains({fn.function.section, fn.function.offset + *trap})) {
        return {Signature::kMissing,
                fmt::format("the type check's ud2 at +{:#x} is not listed in .kcfi_traps", *trap)};
      }
    }
    return {Signature::kPresent, {}};
  }

 private:
  // The first indirect call or tail call without kCFI's check before it.
  static Judgement JudgeArm64Calls(const FunctionCode& fn) {
    const auto& insns = fn.instructions;
    for (size_t i = 0; i < insns.size(); ++i) {
      const Instruction& insn = insns[i];
      if (insn.mnemonic != "blr" && insn.mnemonic != "br") continue;
      const std::string& reg = insn.operands;  // "x2"
      if (insn.mnemonic == "br" && Arm64JumpTable(insns, i, reg)) continue;
      const std::string load = fmt::format("w16, [{}, #-4]", reg);  // the target's type id
      bool trap = false;
      bool loaded = false;
      for (size_t k = 1; k <= kArm64CheckWindow && k <= i; ++k) {
        const Instruction& prev = insns[i - k];
        if (prev.mnemonic == "brk" && prev.operands.starts_with("#0x8")) trap = true;
        if (trap && prev.mnemonic == "ldur" && prev.operands == load) loaded = true;
        if (loaded) break;
      }
      if (!loaded) {
        return {Signature::kMissing,
                fmt::format("{} {} at +{:#x} without a type check", insn.mnemonic, insn.operands, insn.offset)};
      }
    }
    return {Signature::kPresent, {}};
  }

  // `br xR` right after xR was computed from a table (`adr xR, …` or
  // `add xR, …, lsl #n`): a switch, not a call through a function pointer.
  static bool Arm64JumpTable(std::span<const Instruction> insns, size_t i, const std::string& reg) {
    for (size_t k = 1; k <= kArm64CheckWindow && k <= i; ++k) {
      const Instruction& prev = insns[i - k];
      if (!prev.operands.starts_with(reg + ",")) continue;
      return prev.mnemonic == "adr" || (prev.mnemonic == "add" && prev.operands.find("lsl") != std::string::npos);
    }
    return false;
  }

  // `call`/`jmp` through a register, `call` through memory, or a call or
  // jump to a retpoline thunk (in a .o, named by its relocation).
  static bool IsIndirectCall(const FunctionCode& fn, const Instruction& insn) {
    if (insn.mnemonic != "call" && insn.mnemonic != "jmp") return false;
    if (IsRegister(insn.operands)) return true;
    // Through memory, except rip-relative: that is a GOT slot (a direct
    // call in position-independent code), not a function pointer.
    if (insn.mnemonic == "call" && insn.operands.find('[') != std::string::npos) {
      return insn.operands.find("[rip") == std::string::npos;
    }
    const ElfRelocation* r = Rel32BranchRelocation(fn, insn);
    return r != nullptr && r->symbol.starts_with(kRetpolineThunkPrefix);
  }

  // The offset of the check's ud2 when the instructions just before the
  // call at `i` are kCFI's: an `add r10d, dword ptr [...]` then a `ud2`.
  static std::optional<uint64_t> CheckBefore(const FunctionCode& fn, size_t i) {
    std::optional<uint64_t> ud2;
    for (size_t k = 1; k <= kCheckWindow && k <= i; ++k) {
      const Instruction& prev = fn.instructions[i - k];
      if (prev.mnemonic == "ud2" && !ud2) ud2 = prev.offset;
      if (ud2 && prev.mnemonic == "add" && prev.operands.starts_with("r10d, dword ptr [")) return ud2;
    }
    return std::nullopt;
  }

  std::string flag_;
  bool relocatable_ = false;
  std::set<std::pair<size_t, uint64_t>> traps_;  // (section, offset) of each listed ud2
};

}  // namespace

std::optional<uint32_t> KcfiTypeId(const ElfObject& obj, const ElfFunction& fn) {
  if (fn.section >= obj.sections.size()) return std::nullopt;
  const ElfSection& sec = obj.sections[fn.section];
  if (fn.offset > sec.bytes.size()) return std::nullopt;
  std::span<const uint8_t> before(sec.bytes.data(), fn.offset);
  if (obj.arch == Arch::kArm64) return Arm64PreambleTypeId(sec, before);
  if (obj.arch == Arch::kX86_64) return X86PreambleTypeId(obj, fn, before);
  return std::nullopt;
}

std::unique_ptr<FlagCheck> MakeKcfiCheck(std::string flag) { return std::make_unique<KcfiCheck>(std::move(flag)); }

}  // namespace rfl::codecheck

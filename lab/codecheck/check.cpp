#include "lab/codecheck/check.h"

#include <algorithm>

namespace rfl::codecheck {

const ElfRelocation* RelocationAt(std::span<const ElfRelocation> relocs, uint64_t offset) {
  auto it = std::lower_bound(relocs.begin(), relocs.end(), offset,
                             [](const ElfRelocation& r, uint64_t o) { return r.offset < o; });
  return it != relocs.end() && it->offset == offset ? &*it : nullptr;
}

const ElfRelocation* Rel32BranchRelocation(const FunctionCode& fn, const Instruction& insn) {
  if (!fn.object.relocatable || insn.size != 5) return nullptr;
  if (uint8_t op = fn.bytes[insn.offset]; op != 0xe8 && op != 0xe9) return nullptr;
  return RelocationAt(fn.relocations, fn.function.offset + insn.offset + 1);
}

bool IsX86DirectTarget(std::string_view operands) {
  return !operands.empty() && (operands.starts_with("0x") || operands.starts_with("-0x") ||
                               (operands.front() >= '0' && operands.front() <= '9'));
}

bool IsArm64NonLeaf(const FunctionCode& fn) {
  for (const Instruction& insn : fn.instructions) {
    if (insn.mnemonic == "bl" || insn.mnemonic == "blr") return true;
    if (insn.mnemonic.starts_with("st") && insn.operands.find("x30") != std::string::npos) return true;
  }
  return false;
}

bool IsRiscv64NonLeaf(const FunctionCode& fn) {
  for (const Instruction& insn : fn.instructions) {
    if (insn.mnemonic == "sd" && insn.operands.starts_with("ra,")) return true;
    // `jal target` and `jalr reg` (LLVM's aliases) link ra; `jalr ra, 0(t1)` names it.
    bool link = insn.mnemonic == "jal" || insn.mnemonic == "jalr";
    if (link && (insn.operands.find(',') == std::string::npos || insn.operands.starts_with("ra,"))) return true;
    if (insn.mnemonic == "call") return true;
  }
  return false;
}

bool IsNop(Arch, const Instruction& insn) { return insn.valid() && insn.mnemonic == "nop"; }

NopRun CountNops(Arch arch, std::span<const Instruction> insns, size_t from) {
  NopRun run{0, from};
  while (run.next < insns.size() && IsNop(arch, insns[run.next])) {
    run.bytes += insns[run.next].size;
    ++run.next;
  }
  return run;
}

}  // namespace rfl::codecheck

#include "lab/codecheck/check.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <set>

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

std::optional<uint64_t> X86Rel32Target(const FunctionCode& fn, const Instruction& insn) {
  if (insn.size != 5 || insn.offset + 5 > fn.bytes.size()) return std::nullopt;
  uint8_t op = fn.bytes[insn.offset];
  if (op != 0xe8 && op != 0xe9) return std::nullopt;
  int32_t rel = 0;
  std::memcpy(&rel, fn.bytes.data() + insn.offset + 1, sizeof rel);
  return fn.address + insn.offset + 5 + static_cast<int64_t>(rel);
}

bool IsX86DirectTarget(std::string_view operands) {
  // LLVM prints a branch target it cannot resolve as the displacement, in
  // hex or in decimal, and a backward one with a minus sign: `jmp -53`.
  if (operands.starts_with('-')) operands.remove_prefix(1);
  return !operands.empty() && (operands.starts_with("0x") || (operands.front() >= '0' && operands.front() <= '9'));
}

bool Arm64StoresX30(const Instruction& insn) {
  return insn.mnemonic.starts_with("st") && insn.operands.find("x30") != std::string::npos;
}

bool Riscv64StoresRa(const Instruction& insn) { return insn.mnemonic == "sd" && insn.operands.starts_with("ra,"); }

bool Arm64SpillsReturnAddress(const Instruction& insn) {
  return insn.mnemonic == "bl" || insn.mnemonic == "blr" || Arm64StoresX30(insn);
}

namespace {

// A branch's target as a byte offset from its own address: the last operand
// ("#56", "#-4" on arm64; "16", "-2" on riscv64, as LLVM prints them).
std::optional<int64_t> RelativeTarget(const Instruction& insn) {
  std::string_view ops = insn.operands;
  size_t comma = ops.rfind(',');
  std::string_view last = comma == std::string_view::npos ? ops : ops.substr(comma + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '#')) last.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(last.data(), last.data() + last.size(), v);
  if (ec != std::errc() || end != last.data() + last.size()) return std::nullopt;
  return v;
}

struct Flow {
  bool falls_through = true;
  bool branches = false;  // to RelativeTarget
};

Flow FlowOf(Arch arch, const Instruction& insn) {
  const std::string& m = insn.mnemonic;
  if (arch == Arch::kArm64) {
    if (m == "ret" || m == "retaa" || m == "retab" || m == "br" || m == "brk" || m == "udf") return {false, false};
    if (m == "b") return {false, true};
    if (m.starts_with("b.") || m == "cbz" || m == "cbnz" || m == "tbz" || m == "tbnz") return {true, true};
    return {};
  }
  if (arch == Arch::kRiscv64) {
    if (m == "ret" || m == "jr" || m == "ebreak" || m == "unimp" || m == "c.ebreak") return {false, false};
    if (m == "j") return {false, true};
    static const std::set<std::string, std::less<>> kConditional = {
        "beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez",
        "bltz", "bgtz", "bgt", "ble", "bgtu", "bleu", "c.beqz", "c.bnez"};
    if (kConditional.contains(m)) return {true, true};
    return {};
  }
  return {};
}

}  // namespace

std::vector<bool> ReachedAfter(const FunctionCode& fn, const std::function<bool(const Instruction&)>& spills) {
  const auto& insns = fn.instructions;
  Arch arch = fn.disassembler.arch();
  std::vector<bool> after(insns.size(), false);
  std::vector<size_t> work;
  auto reach = [&](size_t i) {
    if (i < insns.size() && !after[i]) {
      after[i] = true;
      work.push_back(i);
    }
  };
  // Seed: the successors of every spilling instruction (a spill reached on
  // any path at all: the entry reaches every instruction that matters).
  auto successors = [&](size_t i, auto&& visit) {
    Flow f = FlowOf(arch, insns[i]);
    if (f.falls_through) visit(i + 1);
    if (f.branches) {
      if (auto rel = RelativeTarget(insns[i])) {
        // The instructions are in address order: find the target's.
        uint64_t target = insns[i].offset + static_cast<uint64_t>(*rel);
        auto it = std::lower_bound(insns.begin(), insns.end(), target,
                                   [](const Instruction& insn, uint64_t o) { return insn.offset < o; });
        if (it != insns.end() && it->offset == target) visit(static_cast<size_t>(it - insns.begin()));
      }
    }
  };
  for (size_t i = 0; i < insns.size(); ++i) {
    if (spills(insns[i])) successors(i, reach);
  }
  while (!work.empty()) {
    size_t i = work.back();
    work.pop_back();
    successors(i, reach);
  }
  return after;
}

bool IsArm64NonLeaf(const FunctionCode& fn) {
  return std::any_of(fn.instructions.begin(), fn.instructions.end(), Arm64SpillsReturnAddress);
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

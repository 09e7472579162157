#include "lab/codecheck/disassembler.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>

namespace rfl::codecheck {
namespace {

void InitializeTargetsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86Disassembler();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64Disassembler();
    LLVMInitializeRISCVTargetInfo();
    LLVMInitializeRISCVTargetMC();
    LLVMInitializeRISCVDisassembler();
  });
}

// Prefixes LLVM prints before a mnemonic that do not change what the
// instruction is for these checks.
bool IsPrefix(std::string_view word) {
  static constexpr std::array<std::string_view, 10> kPrefixes = {
      "cs", "ds", "es", "ss", "data16", "notrack", "bnd", "lock", "rex64", "addr32"};
  return std::find(kPrefixes.begin(), kPrefixes.end(), word) != kPrefixes.end();
}

// "\tnop\tword ptr cs:[rax + rax]" → {"nop", "word ptr cs:[rax + rax]"}.
void Split(std::string_view text, Instruction& insn) {
  auto skip = [&] {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  };
  for (;;) {
    skip();
    size_t end = 0;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    std::string word(text.substr(0, end));
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
    text.remove_prefix(end);
    if (IsPrefix(word) && !text.empty()) continue;
    insn.mnemonic = std::move(word);
    break;
  }
  skip();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  insn.operands = std::string(text);
}

}  // namespace

void Disassembler::Dispose::operator()(void* dc) const { LLVMDisasmDispose(static_cast<LLVMDisasmContextRef>(dc)); }

Result<Disassembler> Disassembler::Create(Arch arch) {
  InitializeTargetsOnce();
  LLVMDisasmContextRef dc = nullptr;
  switch (arch) {
    case Arch::kX86_64:
      dc = LLVMCreateDisasm("x86_64-unknown-none", nullptr, 0, nullptr, nullptr);
      // Intel syntax: "ret" rather than "retq", destination first.
      if (dc != nullptr) LLVMSetDisasmOptions(dc, LLVMDisassembler_Option_AsmPrinterVariant);
      break;
    case Arch::kArm64:
      // v8.5-A: BTI and pointer authentication print by name, not as "hint #34".
      dc = LLVMCreateDisasmCPUFeatures("aarch64-unknown-none", "", "+v8.5a,+bti,+pauth", nullptr, 0, nullptr,
                                       nullptr);
      break;
    case Arch::kRiscv64:
      // The kernel's riscv64imac (arch/riscv/Makefile): compressed
      // instructions print as their full form ("addi gp, gp, 8").
      dc = LLVMCreateDisasmCPUFeatures("riscv64-unknown-none", "", "+m,+a,+c", nullptr, 0, nullptr, nullptr);
      break;
  }
  if (dc == nullptr) return Fail("LLVM has no disassembler for {}", ArchName(arch));
  return Disassembler(arch, dc);
}

std::vector<Instruction> Disassembler::Decode(std::span<const uint8_t> bytes, uint64_t address) const {
  std::vector<Instruction> out;
  // Past an undecodable word: arm64's fixed 4 bytes, riscv64's smallest
  // (compressed) instruction, x86's next byte.
  const uint32_t step = arch_ == Arch::kArm64 ? 4 : arch_ == Arch::kRiscv64 ? 2 : 1;
  std::array<char, 256> text{};
  uint64_t at = 0;
  while (at < bytes.size()) {
    // LLVMDisasmInstruction takes a non-const pointer but only reads.
    auto* p = const_cast<uint8_t*>(bytes.data() + at);
    size_t n = LLVMDisasmInstruction(static_cast<LLVMDisasmContextRef>(dc_.get()), p, bytes.size() - at,
                                     address + at, text.data(), text.size());
    Instruction insn;
    insn.offset = at;
    if (n == 0) {
      insn.size = 0;
      insn.mnemonic = "(bad)";
      out.push_back(std::move(insn));
      at += std::min<uint64_t>(step, bytes.size() - at);
      continue;
    }
    insn.size = static_cast<uint32_t>(n);
    Split(text.data(), insn);
    out.push_back(std::move(insn));
    at += n;
  }
  return out;
}

}  // namespace rfl::codecheck

// The ELF reader and the disassembler on the rustc-compiled fixtures.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "lab/codecheck/disassembler.h"
#include "lab/codecheck/elf_object.h"

namespace rfl::codecheck {
namespace {

std::string Fixture(const std::string& name) { return std::string(RFL_LAB_FIXTURES_DIR) + "/codecheck/" + name; }

const ElfFunction* Find(const ElfObject& obj, std::string_view part) {
  auto it = std::find_if(obj.functions.begin(), obj.functions.end(),
                         [&](const ElfFunction& f) { return f.name.find(part) != std::string::npos; });
  return it == obj.functions.end() ? nullptr : &*it;
}

TEST(CodecheckElf, ReadsFunctionsBindingAndProducer) {
  auto obj = ReadElfObject(Fixture("x86_64-baseline.o"));
  ASSERT_TRUE(obj.has_value()) << obj.error().message;
  EXPECT_EQ(obj->arch, Arch::kX86_64);
  EXPECT_TRUE(obj->relocatable);
  EXPECT_TRUE(obj->from_rustc()) << obj->comment;
  EXPECT_EQ(obj->functions.size(), 7u);
  const ElfFunction* leaf = Find(*obj, "leaf_mix");
  ASSERT_NE(leaf, nullptr);
  EXPECT_FALSE(leaf->local);
  // rustc exports a private function a public static points to…
  const ElfFunction* taken = Find(*obj, "address_taken");
  ASSERT_NE(taken, nullptr);
  EXPECT_FALSE(taken->local);
  // …and keeps one only called directly local.
  const ElfFunction* helper = Find(*obj, "local_helper");
  ASSERT_NE(helper, nullptr);
  EXPECT_TRUE(helper->local);
}

TEST(CodecheckElf, KcfiPreambleLabelsAreNotFunctionsOfTheirOwn) {
  // -Zsanitizer=kcfi labels each preamble `__cfi_<fn>` (STT_FUNC, 16 bytes):
  // the same functions as without the flag, none of them a preamble.
  auto obj = ReadElfObject(Fixture("x86_64-kcfi.o"));
  ASSERT_TRUE(obj.has_value()) << obj.error().message;
  EXPECT_EQ(obj->functions.size(), 7u);
  EXPECT_EQ(Find(*obj, "__cfi_"), nullptr);
  EXPECT_TRUE(obj->SymbolAddress("__cfi_call_indirect").has_value());
}

TEST(CodecheckElf, KeepsRelocationSymbolsAndAddends) {
  auto obj = ReadElfObject(Fixture("x86_64-function-return-thunk-extern.o"));
  ASSERT_TRUE(obj.has_value()) << obj.error().message;
  size_t thunk_relocs = 0;
  for (const auto& relocs : obj->relocations) {
    for (const auto& r : relocs) {
      if (r.symbol == "__x86_return_thunk") {
        ++thunk_relocs;
        EXPECT_EQ(r.addend, -4);
      }
    }
  }
  EXPECT_GE(thunk_relocs, 5u);
}

TEST(CodecheckDisassembler, DecodesLandingPadsByName) {
  auto x86 = ReadElfObject(Fixture("x86_64-cf-protection-branch.o"));
  ASSERT_TRUE(x86.has_value());
  auto dx = Disassembler::Create(Arch::kX86_64);
  ASSERT_TRUE(dx.has_value()) << dx.error().message;
  const ElfFunction* f = Find(*x86, "leaf_mix");
  ASSERT_NE(f, nullptr);
  const auto& sec = x86->sections[f->section];
  auto insns = dx->Decode(std::span(sec.bytes).subspan(f->offset, f->size), 0);
  ASSERT_FALSE(insns.empty());
  EXPECT_EQ(insns.front().mnemonic, "endbr64");
  EXPECT_EQ(insns.back().mnemonic, "ret");

  auto arm = ReadElfObject(Fixture("arm64-branch-protection-bti-pac-ret.o"));
  ASSERT_TRUE(arm.has_value());
  EXPECT_EQ(arm->arch, Arch::kArm64);
  auto da = Disassembler::Create(Arch::kArm64);
  ASSERT_TRUE(da.has_value()) << da.error().message;
  const ElfFunction* nl = Find(*arm, "non_leaf");
  ASSERT_NE(nl, nullptr);
  const auto& asec = arm->sections[nl->section];
  auto ainsns = da->Decode(std::span(asec.bytes).subspan(nl->offset, nl->size), 0);
  ASSERT_GE(ainsns.size(), 3u);
  EXPECT_EQ(ainsns.front().mnemonic, "paciasp");
  EXPECT_EQ(ainsns[ainsns.size() - 2].mnemonic, "autiasp");
  const ElfFunction* leaf = Find(*arm, "leaf_mix");
  ASSERT_NE(leaf, nullptr);
  auto linsns = da->Decode(std::span(arm->sections[leaf->section].bytes).subspan(leaf->offset, leaf->size), 0);
  ASSERT_FALSE(linsns.empty());
  EXPECT_EQ(linsns.front().mnemonic, "bti");
  EXPECT_EQ(linsns.front().operands, "c");
}

}  // namespace
}  // namespace rfl::codecheck

// Kconfig merging and verification, on a .config produced by a real
// `make tinyconfig` + fragments + `olddefconfig` of linux-source-7.3 and the
// real Kconfig files of that tree (tests/fixtures/kernel/kconfig-unmet/).
#include "lab/kernel/kconfig.h"

#include <gtest/gtest.h>

#include "lab/util/paths.h"

namespace rfl::kernel {
namespace {

const std::filesystem::path kDir = std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "kconfig-unmet";

std::string Fixture(const std::string& name) {
  auto text = ReadFile(kDir / name);
  EXPECT_TRUE(text.has_value()) << name;
  return text.value_or("");
}

KconfigIndex RealIndex() {
  KconfigIndex index;
  for (const char* f : {"android.Kconfig", "rnull.Kconfig", "rust-kunit.Kconfig"}) index.AddText(Fixture(f));
  return index;
}

TEST(Kconfig, ParsesValuesAndNotSetLines) {
  auto v = ParseConfig("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x y\"\nCONFIG_D=0x10\n# comment\n");
  EXPECT_EQ(v["A"], "y");
  EXPECT_EQ(v["B"], "n");
  EXPECT_EQ(v["C"], "\"x y\"");
  EXPECT_EQ(v["D"], "0x10");
  EXPECT_EQ(v.size(), 4u);
}

TEST(Kconfig, VariantOverridesFragmentsAndLaterFragmentsWin) {
  auto r = MergeRequests({{"binder-rust.config", ParseConfig("CONFIG_ANDROID_BINDER_IPC_RUST=y\n# CONFIG_ANDROID_BINDER_IPC is not set\n")},
                          {"other.config", ParseConfig("CONFIG_NET=y\n")}},
                         {{"ANDROID_BINDER_IPC_RUST", "n"}, {"ANDROID_BINDER_IPC", "y"}});
  ASSERT_EQ(r.size(), 3u);
  for (const auto& q : r) {
    if (q.symbol == "ANDROID_BINDER_IPC_RUST") {
      EXPECT_EQ(q.value, "n");
      EXPECT_EQ(q.origin, "variant");
    }
    if (q.symbol == "NET") {
      EXPECT_EQ(q.origin, "other.config");
    }
  }
  std::string rendered = RenderRequests(r);
  EXPECT_NE(rendered.find("# CONFIG_ANDROID_BINDER_IPC_RUST is not set\n"), std::string::npos);
  EXPECT_NE(rendered.find("CONFIG_ANDROID_BINDER_IPC=y\n"), std::string::npos);
}

TEST(Kconfig, RealOlddefconfigDropsRustBinderWithoutNetAndSaysWhy) {
  auto final_config = ParseConfig(Fixture("x86_64-binder-no-net.config"));
  std::vector<Request> requests{{"RUST", "y", "rust.config"},
                                {"ANDROID_BINDER_IPC_RUST", "y", "binder-rust.config"},
                                {"NET", "n", "variant"},
                                {"BLK_DEV_RUST_NULL", "y", "rnull.config"},
                                {"NO_SUCH_SYMBOL", "y", "variant"}};
  auto unmet = VerifyConfig(requests, final_config, RealIndex());
  ASSERT_EQ(unmet.size(), 3u) << DescribeUnmet(unmet);
  EXPECT_EQ(unmet[0].symbol, "ANDROID_BINDER_IPC_RUST");
  EXPECT_EQ(unmet[0].asked, "y");
  EXPECT_EQ(unmet[0].got, "n");
  EXPECT_EQ(unmet[0].reason, "depends on RUST && MMU && NET && !ANDROID_BINDER_IPC [RUST=y MMU=y NET=n ANDROID_BINDER_IPC=n]");
  EXPECT_EQ(unmet[1].symbol, "BLK_DEV_RUST_NULL");
  EXPECT_NE(unmet[1].reason.find("CONFIGFS_FS=n"), std::string::npos) << unmet[1].reason;
  EXPECT_EQ(unmet[2].symbol, "NO_SUCH_SYMBOL");
  EXPECT_EQ(unmet[2].reason, "no such symbol in this kernel's Kconfig");
  std::string text = DescribeUnmet(unmet);
  EXPECT_NE(text.find("CONFIG_ANDROID_BINDER_IPC_RUST: asked y, got n (from binder-rust.config); depends on"),
            std::string::npos)
      << text;
}

TEST(Kconfig, AFragmentSymbolTheKernelLacksIsLeftOutButAVariantsIsUnmet) {
  auto final_config = ParseConfig(Fixture("x86_64-binder-no-net.config"));
  std::vector<Request> requests{{"ANDROID_BINDER_IPC_RUST", "y", "binder-rust.config"},
                                {"RUST_BINDER_OF_THE_FUTURE", "y", "binder-rust.config"},
                                {"NO_SUCH_SYMBOL", "y", "variant"}};
  auto unmet = VerifyConfig(requests, final_config, RealIndex());
  ASSERT_EQ(unmet.size(), 3u);
  auto absent = TakeAbsentFragmentSymbols(unmet, RealIndex());
  ASSERT_EQ(absent.size(), 1u);
  EXPECT_EQ(absent[0].symbol, "RUST_BINDER_OF_THE_FUTURE");
  EXPECT_EQ(absent[0].origin, "binder-rust.config");
  // Still unmet: a symbol the kernel has whose dependencies failed, and the
  // variant's own symbol.
  ASSERT_EQ(unmet.size(), 2u);
  EXPECT_EQ(unmet[0].symbol, "ANDROID_BINDER_IPC_RUST");
  EXPECT_EQ(unmet[1].symbol, "NO_SUCH_SYMBOL");
}

TEST(Kconfig, SymbolsKeptByOlddefconfigAreNotReported) {
  auto final_config = ParseConfig(Fixture("x86_64-binder-no-net.config"));
  std::vector<Request> requests{{"RUST", "y", "rust.config"}, {"MMU", "y", "x"}, {"ANDROID_BINDER_IPC", "n", "x"}};
  EXPECT_TRUE(VerifyConfig(requests, final_config, RealIndex()).empty());
}

TEST(Kconfig, IfBlocksAddTheirConditionToEverySymbolInside) {
  auto deps = RealIndex().DependsOn("RUST_ALLOCATOR_KUNIT_TEST");
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(deps[0], "RUST_KUNIT_TESTS");
  auto top = RealIndex().DependsOn("RUST_KUNIT_TESTS");
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0], "KUNIT && RUST");
}

TEST(Kconfig, ModuleValueIsNotBuiltIn) {
  EXPECT_FALSE(SameValue("m", std::string("y")));
  EXPECT_TRUE(SameValue("n", std::nullopt));
  EXPECT_TRUE(SameValue("0x10", std::string("0X10")));
}

TEST(Kconfig, EveryShippedFragmentParses) {
  auto dir = std::filesystem::path(RFL_LAB_SOURCE_DIR) / "images" / "kconfig";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".config") continue;
    auto text = ReadFile(e.path());
    ASSERT_TRUE(text.has_value());
    // Every non-comment line must be a CONFIG_ assignment (a typo would be
    // silently ignored by Kconfig).
    size_t start = 0;
    while (start < text->size()) {
      size_t end = text->find('\n', start);
      if (end == std::string::npos) end = text->size();
      std::string line = text->substr(start, end - start);
      start = end + 1;
      if (line.empty() || (line[0] == '#' && line.find(" is not set") == std::string::npos)) continue;
      EXPECT_TRUE(line.starts_with("CONFIG_") || line.starts_with("# CONFIG_")) << e.path() << ": " << line;
    }
    EXPECT_FALSE(ParseConfig(*text).empty()) << e.path();
    ++n;
  }
  EXPECT_GE(n, 13);
}

}  // namespace
}  // namespace rfl::kernel

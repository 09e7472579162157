// Build failure classification and progress parsing on logs captured from
// real kbuild runs of linux-source-7.3 (tests/fixtures/kernel/logs/).
#include "lab/kernel/build_log.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "lab/util/paths.h"

namespace rfl::kernel {
namespace {

std::string Log(const std::string& name) {
  auto text = ReadFile(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "logs" / name);
  EXPECT_TRUE(text.has_value()) << name;
  return text.value_or("");
}

bool AnyContains(const std::vector<std::string>& lines, std::string_view what) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; });
}

TEST(BuildLog, ReturnThunksWithoutRethunkIsALinkErrorNamingTheSymbol) {
  auto c = ClassifyBuildLog(Log("x86_64-rethunk-without-thunk.log"));
  EXPECT_EQ(c.cls, FailureClass::kLinkError);
  ASSERT_FALSE(c.excerpt.empty());
  EXPECT_NE(c.excerpt[0].find("undefined symbol: __x86_return_thunk"), std::string::npos) << c.excerpt[0];
  EXPECT_TRUE(AnyContains(c.excerpt, ">>> referenced by"));
  EXPECT_LE(c.excerpt.size(), 12u);
}

TEST(BuildLog, UnknownRustcFlagIsARustcError) {
  auto c = ClassifyBuildLog(Log("x86_64-bad-krustflag.log"));
  EXPECT_EQ(c.cls, FailureClass::kRustcError);
  ASSERT_FALSE(c.excerpt.empty());
  EXPECT_TRUE(c.excerpt[0].starts_with("error")) << c.excerpt[0];
  EXPECT_TRUE(AnyContains(c.excerpt, "no-such-option")) << c.excerpt[0];
}

TEST(BuildLog, CompilerErrorInCIsOther) {
  auto c = ClassifyBuildLog(Log("x86_64-c-compile-error.log"));
  EXPECT_EQ(c.cls, FailureClass::kOther);
  EXPECT_TRUE(AnyContains(c.excerpt, "error:"));
}

TEST(BuildLog, RustavailableMessageWithoutStars) {
  auto m = RustUnavailableMessage(Log("host-rustavailable-no-bindgen.log"));
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m[0], "Rust bindings generator 'bindgen' could not be found.");
  for (const auto& l : m) EXPECT_FALSE(l.starts_with("*")) << l;
}

TEST(BuildLog, ProgressStepsFromRealQuietOutput) {
  EXPECT_EQ(ProgressStep("  RUSTC L rust/core.o"), "RUSTC L rust/core.o");
  EXPECT_EQ(ProgressStep("  CC      kernel/fork.o"), "CC kernel/fork.o");
  EXPECT_EQ(ProgressStep("  BINDGEN rust/bindings/bindings_generated.rs"), "BINDGEN rust/bindings/bindings_generated.rs");
  EXPECT_EQ(ProgressStep("  RUSTC PL rust/host/libproc_macro2.rlib"), "RUSTC PL rust/host/libproc_macro2.rlib");
  EXPECT_EQ(ProgressStep("make[1]: Entering directory '/build'"), std::nullopt);
  EXPECT_EQ(ProgressStep("#"), std::nullopt);
  // Every step line of a real full-build log excerpt parses.
  auto log = Log("x86_64-full-build-head.log");
  int steps = 0;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    if (ProgressStep(std::string_view(log).substr(start, end - start))) ++steps;
    start = end + 1;
  }
  EXPECT_GT(steps, 20);
}

TEST(BuildLog, FailureClassNamesRoundTrip) {
  for (auto c : {FailureClass::kKconfigUnmet, FailureClass::kRustUnavailable, FailureClass::kRustcError,
                 FailureClass::kBindgenError, FailureClass::kLinkError, FailureClass::kOther}) {
    EXPECT_EQ(ParseFailureClass(FailureClassName(c)), c);
  }
  EXPECT_EQ(FailureClassName(FailureClass::kKconfigUnmet), "kconfig-unmet");
  EXPECT_FALSE(ParseFailureClass("linker").has_value());
}

}  // namespace
}  // namespace rfl::kernel

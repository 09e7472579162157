// Effective rustc flags from kbuild .cmd files captured from real builds of
// the quickstart kernel (tests/fixtures/kernel/cmd/, first line of
// rust/.core.o.cmd and rust/.kernel.o.cmd).
#include <algorithm>

#include <gtest/gtest.h>

#include "lab/kernel/build_log.h"
#include "lab/util/paths.h"

namespace rfl::kernel {
namespace {

std::string Cmd(const std::string& name) {
  auto text = ReadFile(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "cmd" / name);
  EXPECT_TRUE(text.has_value()) << name;
  return text.value_or("");
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(CmdFlags, CoreObjectFlagsOfARealBaselineBuild) {
  auto flags = RustFlagsFromCmd(Cmd("x86_64-baseline-core.o.cmd"));
  ASSERT_TRUE(flags.has_value());
  for (const char* f : {"-Cpanic=abort", "-Ccode-model=kernel", "-Copt-level=s", "-Ztune-cpu=generic",
                        "-Cno-redzone=y", "-Zfunction-sections=n", "-Zunstable-options",
                        "-Ctarget-feature=-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2,-avx,-avx2"}) {
    EXPECT_TRUE(Has(*flags, f)) << f;
  }
  // Lints, paths and the post-steps (llvm-objcopy, objtool) are not flags.
  for (const auto& f : *flags) {
    EXPECT_FALSE(f.starts_with("-W") || f.starts_with("-A") || f.starts_with("-D")) << f;
    EXPECT_EQ(f.find("objtool"), std::string::npos) << f;
    EXPECT_EQ(f.find("--redefine-sym"), std::string::npos) << f;
  }
  EXPECT_FALSE(Has(*flags, "-Zcf-protection=branch"));
}

TEST(CmdFlags, KernelCrateFlagsMatchCoreOnCodegen) {
  auto core = RustFlagsFromCmd(Cmd("x86_64-baseline-core.o.cmd"));
  auto kern = RustFlagsFromCmd(Cmd("x86_64-baseline-kernel.o.cmd"));
  ASSERT_TRUE(core.has_value() && kern.has_value());
  for (const char* f : {"-Ccode-model=kernel", "-Copt-level=s", "-Csymbol-mangling-version=v0"}) {
    EXPECT_TRUE(Has(*core, f)) << f;
    EXPECT_TRUE(Has(*kern, f)) << f;
  }
}

TEST(CmdFlags, KrustflagsVariantShowsUpInEveryCrate) {
  auto core = RustFlagsFromCmd(Cmd("x86_64-ibt-rust-core.o.cmd"));
  auto kern = RustFlagsFromCmd(Cmd("x86_64-ibt-rust-kernel.o.cmd"));
  ASSERT_TRUE(core.has_value() && kern.has_value());
  EXPECT_TRUE(Has(*core, "-Zcf-protection=branch"));
  EXPECT_TRUE(Has(*kern, "-Zcf-protection=branch"));
}

// MITIGATION_RETPOLINE reaches rustc through the target spec's features,
// not its command line: the lab counts it as the flag that sets them.
TEST(CmdFlags, RetpolinesInTheTargetSpecAreTheFlagThatSetsThem) {
  auto spec = [](const std::string& name) {
    auto text = ReadFile(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "target-spec" / name);
    EXPECT_TRUE(text.has_value()) << name;
    return text.value_or("");
  };
  EXPECT_EQ(RustFlagsFromTargetSpec(spec("x86_64-retpoline.json")),
            std::vector<std::string>{"-Zretpoline-external-thunk"});
  EXPECT_TRUE(RustFlagsFromTargetSpec(spec("x86_64-baseline.json")).empty());
  EXPECT_TRUE(RustFlagsFromTargetSpec("not json").empty());
  EXPECT_TRUE(RustFlagsFromTargetSpec(R"({"features": 3})").empty());
}

TEST(CmdFlags, NonRustCommandHasNoFlags) {
  EXPECT_FALSE(RustFlagsFromCmd("savedcmd_init/main.o := clang -Wp,-MMD,init/.main.o.d -c -o init/main.o init/main.c\n").has_value());
  EXPECT_FALSE(RustFlagsFromCmd("not a cmd file").has_value());
}

TEST(CmdFlags, ShellWordsKeepQuotedArguments) {
  auto w = SplitShellWords("a 'b c' --cfg='no_fp_fmt_parse' \"d\\\"e\" f\\ g; h");
  std::vector<std::string> want{"a", "b c", "--cfg=no_fp_fmt_parse", "d\"e", "f g", ";", "h"};
  EXPECT_EQ(w, want);
}

}  // namespace
}  // namespace rfl::kernel

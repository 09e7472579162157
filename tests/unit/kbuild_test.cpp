// The make command line the lab runs: an argument vector (no shell), fixed
// KBUILD_BUILD_* variables, and ccache in front of clang when asked.
#include "lab/kernel/kbuild.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "lab/util/temp_dir.h"

namespace rfl::kernel {
namespace {

bool HasArg(const Command& c, const std::string& a) {
  return std::find(c.argv.begin(), c.argv.end(), a) != c.argv.end();
}

MakeInvocation Base() {
  MakeInvocation m;
  m.source = "/src";
  m.tree = "/build";
  m.arch = Arch::kArm64;
  m.jobs = 2;
  m.targets = {"vmlinux", "Image"};
  return m;
}

TEST(Kbuild, KrustflagsIsOneArgumentAndTheTargetsComeLast) {
  auto m = Base();
  m.arch = Arch::kX86_64;  // the host's
  m.rustflags = {"-Zcf-protection=branch", "-Zfunction-return=thunk-extern"};
  EXPECT_TRUE(HasArg(MakeCommand(m), "KRUSTFLAGS=-Zcf-protection=branch -Zfunction-return=thunk-extern"));
  m = Base();  // arm64
  m.rustflags = {"-Zbranch-protection=bti,pac-ret", "-Zfixed-x18"};
  Command c = MakeCommand(m);
  EXPECT_EQ(c.argv.front(), "make");
  // Cross: not KRUSTFLAGS, which the kernel's rust_is_available.sh hands to
  // a host rustc that refuses arm64-only flags.
  EXPECT_TRUE(HasArg(c, "RUSTFLAGS_KERNEL=-Zbranch-protection=bti,pac-ret -Zfixed-x18"));
  EXPECT_TRUE(HasArg(c, "RUSTFLAGS_MODULE=-Zbranch-protection=bti,pac-ret -Zfixed-x18"));
  for (const auto& a : c.argv) EXPECT_FALSE(a.starts_with("KRUSTFLAGS=")) << a;
  EXPECT_TRUE(HasArg(c, "O=/build"));
  EXPECT_TRUE(HasArg(c, "ARCH=arm64"));
  EXPECT_TRUE(HasArg(c, "LLVM=1"));
  EXPECT_TRUE(HasArg(c, "-j2"));
  ASSERT_GE(c.argv.size(), 2u);
  EXPECT_EQ(c.argv[c.argv.size() - 2], "vmlinux");
  EXPECT_EQ(c.argv.back(), "Image");
  EXPECT_EQ(c.env.at("KBUILD_BUILD_TIMESTAMP"), "Thu Jan  1 00:00:00 UTC 1970");
  EXPECT_EQ(c.cwd, "/build");
}

TEST(Kbuild, WithoutCcacheLlvmChoosesTheCompilers) {
  Command c = MakeCommand(Base());
  for (const auto& a : c.argv) {
    EXPECT_FALSE(a.starts_with("CC=")) << a;
    EXPECT_FALSE(a.starts_with("HOSTCC=")) << a;
  }
  EXPECT_FALSE(c.env.contains("CCACHE_DIR"));
}

// HOSTCC stays one word: kbuild passes it to rustc as -Clinker for the host
// proc-macro crates, and "ccache clang" broke the arm64 build that way.
TEST(Kbuild, CcacheGoesInFrontOfTheKernelsClangButNotTheHostLinker) {
  auto m = Base();
  m.ccache_dir = "/ccache";
  Command c = MakeCommand(m);
  EXPECT_TRUE(HasArg(c, "CC=ccache clang"));
  for (const auto& a : c.argv) EXPECT_FALSE(a.starts_with("HOSTCC=")) << a;
  EXPECT_EQ(c.env.at("CCACHE_DIR"), "/ccache");
  EXPECT_EQ(c.env.at("CCACHE_NOHASHDIR"), "1");
  // No preprocessor run on a miss: the headers come from kbuild's .d files.
  EXPECT_EQ(c.env.at("CCACHE_DEPEND"), "1");
}

TEST(Kbuild, ARemoteCcacheBackendIsPassedToCcacheOnlyWithALocalCache) {
  auto m = Base();
  m.ccache_remote = "redis://build-cache:6379";
  EXPECT_FALSE(MakeCommand(m).env.contains("CCACHE_REMOTE_STORAGE"));
  m.ccache_dir = "/ccache";
  EXPECT_EQ(MakeCommand(m).env.at("CCACHE_REMOTE_STORAGE"), "redis://build-cache:6379");
}

TEST(Kbuild, CcacheRemoteAcceptsTheBackendsCcacheHas) {
  for (const char* ok : {"redis://127.0.0.1:6379", "redis://user:pw@cache/2", "redis+unix:/run/redis.sock",
                         "http://cache.example/ccache|layout=bazel", "https://cache.example/c file:/mnt/ccache",
                         "redis://a:1  redis://b:2"}) {
    EXPECT_TRUE(ValidateCcacheRemote(ok).has_value()) << ok;
  }
}

TEST(Kbuild, CcacheRemoteRefusesWhatCcacheWouldNotUnderstand) {
  for (const char* bad : {"", " ", "127.0.0.1:6379", "redis://", "ftp://cache/x", "redis://a:1\nCC=evil"}) {
    auto st = ValidateCcacheRemote(bad);
    ASSERT_FALSE(st.has_value()) << bad;
    EXPECT_EQ(st.error().kind, Error::Kind::kInput);
    EXPECT_TRUE(st.error().message.starts_with("ccache remote ")) << st.error().message;
  }
  EXPECT_NE(ValidateCcacheRemote("redis://a:1\nx").error().message.find("control character"), std::string::npos);
}

// A source tree with the files PlanBaseConfig reads; `rule` is its
// scripts/kconfig/Makefile tinyconfig rule.
std::filesystem::path FakeSource(const std::filesystem::path& root, const std::string& rule, bool arch_tiny) {
  namespace fs = std::filesystem;
  fs::create_directories(root / "scripts/kconfig");
  fs::create_directories(root / "kernel/configs");
  fs::create_directories(root / "arch/x86/configs");
  std::ofstream(root / "scripts/kconfig/Makefile") << "PHONY += tinyconfig\n" << rule << "\n# CHECK: -o cache_dir=<path> working?\n";
  std::ofstream(root / "kernel/configs/tiny-base.config") << "CONFIG_EXPERT=y\n";
  std::ofstream(root / "kernel/configs/tiny.config") << "CONFIG_CC_OPTIMIZE_FOR_SIZE=y\n";
  if (arch_tiny) std::ofstream(root / "arch/x86/configs/tiny.config") << "CONFIG_NOHIGHMEM=y\n";
  return root;
}

// The rule as linux 7.3's scripts/kconfig/Makefile has it.
constexpr const char* kTinyconfigRule =
    "tinyconfig:\n"
    "\t$(Q)KCONFIG_ALLCONFIG=kernel/configs/tiny-base.config $(MAKE) -f $(srctree)/Makefile allnoconfig\n"
    "\t$(Q)$(MAKE) -f $(srctree)/Makefile tiny.config\n";

TEST(Kbuild, TinyconfigIsAllnoconfigWithTinyBaseThenTinyConfigsFilesAppendedAheadOfTheRequests) {
  auto tmp = TempDir::Create(std::filesystem::temp_directory_path(), "kbuild-tiny-");
  ASSERT_TRUE(tmp);
  auto src = FakeSource(tmp->path(), kTinyconfigRule, true);
  auto x86 = PlanBaseConfig("tinyconfig", src, Arch::kX86_64);
  EXPECT_EQ(x86.first, (std::vector<std::string>{"KCONFIG_ALLCONFIG=kernel/configs/tiny-base.config", "allnoconfig"}));
  EXPECT_EQ(x86.append, (std::vector<std::filesystem::path>{src / "kernel/configs/tiny.config",
                                                            src / "arch/x86/configs/tiny.config"}));
  // arm64 has no arch tiny.config: the kernel's configfiles lists only the
  // generic one.
  auto arm = PlanBaseConfig("tinyconfig", src, Arch::kArm64);
  EXPECT_EQ(arm.append, (std::vector<std::filesystem::path>{src / "kernel/configs/tiny.config"}));
}

TEST(Kbuild, AnotherKernelsTinyconfigRuleAndTheOtherBasesAreTheKernelsOwnTargets) {
  auto tmp = TempDir::Create(std::filesystem::temp_directory_path(), "kbuild-tiny-");
  ASSERT_TRUE(tmp);
  // An older kernel: tinyconfig straight from allnoconfig and tiny.config.
  auto src = FakeSource(tmp->path(), "tinyconfig:\n\t$(Q)$(MAKE) -f $(srctree)/Makefile allnoconfig tiny.config\n", true);
  auto old = PlanBaseConfig("tinyconfig", src, Arch::kX86_64);
  EXPECT_EQ(old.first, std::vector<std::string>{"tinyconfig"});
  EXPECT_TRUE(old.append.empty());
  FakeSource(tmp->path(), kTinyconfigRule, true);
  for (const char* base : {"defconfig", "allnoconfig"}) {
    auto steps = PlanBaseConfig(base, src, Arch::kX86_64);
    EXPECT_EQ(steps.first, std::vector<std::string>{base});
    EXPECT_TRUE(steps.append.empty());
  }
  std::filesystem::remove(src / "kernel/configs/tiny-base.config");
  EXPECT_EQ(PlanBaseConfig("tinyconfig", src, Arch::kX86_64).first, std::vector<std::string>{"tinyconfig"});
}

}  // namespace
}  // namespace rfl::kernel

// The make command line the lab runs: an argument vector (no shell), fixed
// KBUILD_BUILD_* variables, and ccache in front of clang when asked.
#include "lab/kernel/kbuild.h"

#include <gtest/gtest.h>

#include <algorithm>

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
  m.rustflags = {"-Zbranch-protection=bti,pac-ret", "-Zfixed-x18"};
  Command c = MakeCommand(m);
  EXPECT_EQ(c.argv.front(), "make");
  EXPECT_TRUE(HasArg(c, "KRUSTFLAGS=-Zbranch-protection=bti,pac-ret -Zfixed-x18"));
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

}  // namespace
}  // namespace rfl::kernel

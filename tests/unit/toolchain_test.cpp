// Toolchain recipes (the real ones in images/toolchains/) and the sandbox
// command lines built from them.
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <unistd.h>

#include "lab/util/file_lock.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"

namespace rfl::toolchain {
namespace {

const std::filesystem::path kData = RFL_LAB_SOURCE_DIR;

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(Recipe, ShippedRecipesNameTheirSuitesKernelBuildPackagesAndVersions) {
  auto names = ListRecipeNames(kData);
  for (const char* n : {"rustc-1.85", "rustc-1.96", "rustc-1.97"}) EXPECT_TRUE(Has(names, n)) << n;
  for (const auto& n : names) {
    auto r = FindRecipe(kData, n);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->name, n);
    for (const char* p : {"clang", "lld", "llvm", "bindgen", "make", "bc", "bison", "flex", "libelf-dev",
                          "libssl-dev", "python3", "cpio"}) {
      EXPECT_TRUE(Has(r->packages, p)) << n << " lacks " << p;
    }
    // Debian's rustc, or its rustc-web build of another version.
    bool plain = Has(r->packages, "rustc") && Has(r->packages, "rust-src") && Has(r->packages, "rustfmt");
    bool web = Has(r->packages, "rustc-web") && Has(r->packages, "rust-web-src") && Has(r->packages, "rustfmt-web");
    EXPECT_TRUE(plain || web) << n;
    // Every shipped recipe says what it delivers, and the name says the same.
    ASSERT_EQ(r->versions.size(), 3u) << n;
    EXPECT_EQ(r->versions[0], (std::pair<std::string, std::string>{"rustc", n.substr(6) + ".*"}));
  }
  EXPECT_EQ(FindRecipe(kData, "rustc-1.85")->suite, "trixie");
  EXPECT_EQ(FindRecipe(kData, "rustc-1.96")->suite, "trixie");
  EXPECT_EQ(FindRecipe(kData, "rustc-1.97")->suite, "forky");
}

TEST(Recipe, PinSendsOnlyTheNamedPackagesToTheOtherSuite) {
  auto r = ParseRecipe(
      "name: bpo\nsuite: trixie\nextra_suites: [trixie-backports]\npin:\n  suite: trixie-backports\n"
      "  packages: [rustc, rust-src, rustfmt]\npackages: [rustc]\n",
      "bpo.yaml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->SourcesLines().size(), 2u);
  EXPECT_EQ(r->SourcesLines()[1], "deb http://deb.debian.org/debian trixie-backports main");
  std::string prefs = r->AptPreferences();
  EXPECT_NE(prefs.find("Package: rustc rust-src rustfmt"), std::string::npos) << prefs;
  EXPECT_NE(prefs.find("Pin: release n=trixie-backports\nPin-Priority: 990\n"), std::string::npos) << prefs;
  EXPECT_EQ(FindRecipe(kData, "rustc-1.85")->AptPreferences(), "");
}

TEST(Recipe, VersionsMustNameAKnownToolAndAVersion) {
  auto tool = ParseRecipe("suite: trixie\npackages: [a]\nversions: {gcc: \"12.*\"}\n", "x.yaml");
  ASSERT_FALSE(tool.has_value());
  EXPECT_EQ(tool.error().message, "x.yaml: versions: unknown tool 'gcc' (known: rustc, bindgen, clang)");
  auto pattern = ParseRecipe("suite: trixie\npackages: [a]\nversions: {rustc: \"1.9*\"}\n", "x.yaml");
  ASSERT_FALSE(pattern.has_value());
  EXPECT_EQ(pattern.error().message, "x.yaml: versions: rustc: '1.9*' is not a version such as 1.96.* or 1.96.0");
  auto ok = ParseRecipe("suite: trixie\npackages: [a]\nversions: {rustc: \"1.96.0\"}\n", "x.yaml");
  ASSERT_TRUE(ok.has_value());
  auto other = *ok;
  other.versions[0].second = "1.96.*";
  EXPECT_NE(ok->ContentHash(), other.ContentHash());
}

TEST(Recipe, ContentHashChangesWithThePackageList) {
  auto a = FindRecipe(kData, "rustc-1.96");
  ASSERT_TRUE(a.has_value());
  auto b = *a;
  b.packages.push_back("gdb");
  EXPECT_NE(a->ContentHash(), b.ContentHash());
  b.path = "/elsewhere.yaml";
  b.packages.pop_back();
  EXPECT_EQ(a->ContentHash(), b.ContentHash());
}

// forky's mirrored Release file was past its Valid-Until date here; the
// recipe says so, and only a recipe with apt options hashes them.
TEST(Recipe, AptOptionsReachTheHashOnlyWhenGiven) {
  auto forky = FindRecipe(kData, "rustc-1.97");
  ASSERT_TRUE(forky.has_value());
  EXPECT_EQ(forky->apt_options, (std::vector<std::string>{"Acquire::Check-Valid-Until \"false\""}));
  auto without = *forky;
  without.apt_options.clear();
  EXPECT_NE(forky->ContentHash(), without.ContentHash());
  auto trixie = FindRecipe(kData, "rustc-1.85");
  ASSERT_TRUE(trixie.has_value());
  EXPECT_TRUE(trixie->apt_options.empty());
}

TEST(Recipe, ErrorsNameTheFileAndKey) {
  auto r = ParseRecipe("name: x\npackages: [a]\n", "x.yaml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "x.yaml: missing 'suite'");
  auto unknown = FindRecipe(kData, "rustc-0.1");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().kind, Error::Kind::kNotFound);
  EXPECT_NE(unknown.error().message.find("rustc-1.96"), std::string::npos);
}

TEST(Toolchain, RustcReleaseFromRealVersionOutput) {
  auto text = ReadFile(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "toolchain" / "rustc-1.96-vV.txt");
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(RustcRelease(*text), "1.96.1");
  EXPECT_EQ(RustcRelease("garbage"), "");
}

TEST(Sysroot, DirNamesAnAbsoluteSysrootWithRustcAndTheLibrarySources) {
  namespace fs = std::filesystem;
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-sysroot-");
  ASSERT_TRUE(tmp.has_value());
  fs::path root = tmp->path() / "stage1";
  EXPECT_EQ(SysrootOf("dir:relative/stage1").error().message,
            "toolchain dir:relative/stage1: give the sysroot as an absolute path (dir:/path/to/stage1)");
  EXPECT_EQ(SysrootOf("dir:" + root.string() + "/./").value(), root);
  EXPECT_EQ(CheckSysroot(root).error().message, root.string() + " is not a directory");
  fs::create_directories(root / "bin");
  EXPECT_NE(CheckSysroot(root).error().message.find("has no bin/rustc"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(root / "bin" / "rustc", "").has_value());
  EXPECT_NE(CheckSysroot(root).error().message.find("has no lib/rustlib/src/rust/library"), std::string::npos);
  fs::create_directories(root / "lib/rustlib/src/rust/library");
  EXPECT_TRUE(CheckSysroot(root).has_value());
}

TEST(Sysroot, ItsCompilerComesFirstInTheSandbox) {
  Toolchain tc;
  tc.name = "dir:/home/me/stage1";
  tc.rootfs = "/cache/toolchains/base-trixie/rootfs";
  tc.overlays = {{"/home/me/stage1", kSysrootMountPoint, false}};
  tc.env = {{"PATH", "/opt/rust/bin:/usr/bin"}};
  Command c;
  c.argv = {"rustc", "-vV"};
  auto a = InToolchain(tc, c, {}).argv;
  auto at = std::find(a.begin(), a.end(), "/home/me/stage1");
  ASSERT_NE(at, a.end());
  EXPECT_EQ(*(at - 1), "--ro-bind");
  EXPECT_EQ(*(at + 1), "/opt/rust");
  auto path = std::find(a.begin(), a.end(), "PATH");
  ASSERT_NE(path, a.end());
  EXPECT_EQ(*(path + 1), "/opt/rust/bin:/usr/bin");
  EXPECT_EQ(std::count(a.begin(), a.end(), "PATH"), 1);
}

TEST(Toolchain, SandboxBindsRootfsReadOnlyAndTreeWritable) {
  Toolchain tc;
  tc.name = "rustc-1.96";
  tc.rootfs = "/cache/toolchains/rustc-1.96/rootfs";
  Command c;
  c.argv = {"make", "O=/build", "KRUSTFLAGS=-Zcf-protection=branch"};
  c.cwd = "/build";
  c.env = {{"KBUILD_BUILD_USER", "rfl-lab"}};
  auto w = InToolchain(tc, c, {{"/cache/sources/x/tree", kSourceMountPoint, false}, {"/cache/trees/k/o", kBuildMountPoint, true}});
  const auto& a = w.argv;
  ASSERT_GE(a.size(), 10u);
  EXPECT_EQ(a[0], "bwrap");
  auto seq = [&](std::vector<std::string> s) { return std::search(a.begin(), a.end(), s.begin(), s.end()) != a.end(); };
  EXPECT_TRUE(seq({"--ro-bind", "/cache/toolchains/rustc-1.96/rootfs", "/"}));
  EXPECT_TRUE(seq({"--ro-bind", "/cache/sources/x/tree", "/src"}));
  EXPECT_TRUE(seq({"--bind", "/cache/trees/k/o", "/build"}));
  EXPECT_TRUE(seq({"--setenv", "KBUILD_BUILD_USER", "rfl-lab"}));
  EXPECT_TRUE(seq({"--chdir", "/build", "--", "make", "O=/build", "KRUSTFLAGS=-Zcf-protection=branch"}));
  EXPECT_TRUE(w.env.empty());
  EXPECT_FALSE(w.cwd.has_value());
}

TEST(Toolchain, HostRunsCommandsUnchanged) {
  Toolchain host;
  host.name = "host";
  Command c;
  c.argv = {"make", "-C", "/src"};
  auto w = InToolchain(host, c, {{"/real/src", kSourceMountPoint, false}});
  EXPECT_EQ(w.argv, c.argv);
  EXPECT_EQ(InsidePath(host, {"/real/src", kSourceMountPoint, false}), "/real/src");
}

TEST(FileLock, SecondHolderWaitsUntilTheFirstReleases) {
  auto dir = std::filesystem::temp_directory_path() / ("rfl-lock-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto first = FileLock::Acquire(dir / "x.lock", std::chrono::seconds(1));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->held());
  auto busy = FileLock::TryAcquire(dir / "x.lock");
  ASSERT_TRUE(busy.has_value());
  EXPECT_FALSE(busy->held());
  bool told = false;
  auto timed_out = FileLock::Acquire(dir / "x.lock", std::chrono::milliseconds(300), [&] { told = true; });
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error().kind, Error::Kind::kTimeout);
  EXPECT_TRUE(told);
  first->Release();
  auto again = FileLock::TryAcquire(dir / "x.lock");
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->held());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rfl::toolchain

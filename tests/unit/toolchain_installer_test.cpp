// `tarball:` toolchains: the upstream installer layout is installed as
// install.sh would, and hostile archives or manifests are refused without
// writing outside the work directory.
#include <gtest/gtest.h>

#include <fstream>

#include "lab/toolchain/installer.h"
#include "lab/util/temp_dir.h"
#include "tests/support/rust_installer.h"

namespace rfl::toolchain {
namespace {
namespace fs = std::filesystem;
using test::TarEntry;
using Type = TarEntry::Type;

class Installer : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::Create(fs::temp_directory_path(), "rfl-installer-");
    ASSERT_TRUE(t.has_value());
    tmp_ = std::move(*t);
    fs::create_directories(dist());
  }
  fs::path dist() const { return tmp_.path() / "dist"; }
  fs::path cache() const { return tmp_.path() / "cache"; }

  // A two-component installer (rustc, rust-std) as static.rust-lang.org
  // lays it out, with `extra` appended.
  fs::path WriteInstaller(const std::string& version, std::vector<TarEntry> extra = {},
                          const std::string& components = "rustc\nrust-std-x86_64-unknown-linux-gnu\n") {
    std::string top = "rust-" + version + "-x86_64-unknown-linux-gnu";
    std::vector<TarEntry> e{
        {top, Type::kDir},
        {top + "/components", Type::kFile, components},
        {top + "/rust-installer-version", Type::kFile, "3\n"},
        {top + "/install.sh", Type::kFile, "#!/bin/sh\n", 0755},
        {top + "/rustc", Type::kDir},
        {top + "/rustc/manifest.in", Type::kFile, "file:bin/rustc\ndir:lib/x86_64-linux-gnu\n"},
        {top + "/rustc/bin", Type::kDir},
        {top + "/rustc/bin/rustc", Type::kFile, "\x7f" "ELF", 0755},
        {top + "/rustc/lib/x86_64-linux-gnu/librustc_driver.so", Type::kFile, "so"},
        {top + "/rust-std-x86_64-unknown-linux-gnu/manifest.in", Type::kFile,
         "dir:lib/rustlib/x86_64-unknown-linux-gnu\n"},
        {top + "/rust-std-x86_64-unknown-linux-gnu/lib/rustlib/x86_64-unknown-linux-gnu/lib/libcore.rlib",
         Type::kFile, "rlib"},
    };
    e.insert(e.end(), extra.begin(), extra.end());
    fs::path out = dist() / (top + ".tar.xz");
    EXPECT_TRUE(test::WriteTarXz(out, e).has_value());
    return out;
  }
  fs::path WriteRustSrc(const std::string& version, const std::string& manifest = "dir:lib/rustlib/src\n") {
    std::string top = "rust-src-" + version;
    fs::path out = dist() / (top + ".tar.xz");
    EXPECT_TRUE(test::WriteTarXz(out, {{top + "/components", Type::kFile, "rust-src\n"},
                                       {top + "/rust-src/manifest.in", Type::kFile, manifest},
                                       {top + "/rust-src/lib/rustlib/src/rust/library/core/src/lib.rs", Type::kFile,
                                        "#![no_std]\n"}})
                    .has_value());
    return out;
  }

  TempDir tmp_;
};

TEST_F(Installer, TheInstallerAndItsRustSrcBecomeOneSysrootInTheCache) {
  fs::path installer = WriteInstaller("1.85.1");
  WriteRustSrc("1.85.1");
  auto t = FindInstallerTarballs("tarball:" + installer.string());
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->rust_src, dist() / "rust-src-1.85.1.tar.xz");
  EXPECT_EQ(InstalledSysroot(*t, cache()).error().kind, Error::Kind::kNotFound);

  auto sysroot = InstallTarballs(*t, cache());
  ASSERT_TRUE(sysroot.has_value()) << sysroot.error().message;
  EXPECT_TRUE(fs::is_regular_file(*sysroot / "bin/rustc"));
  EXPECT_EQ(fs::status(*sysroot / "bin/rustc").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_TRUE(fs::is_regular_file(*sysroot / "lib/x86_64-linux-gnu/librustc_driver.so"));
  EXPECT_TRUE(fs::is_regular_file(*sysroot / "lib/rustlib/x86_64-unknown-linux-gnu/lib/libcore.rlib"));
  EXPECT_TRUE(fs::is_regular_file(*sysroot / "lib/rustlib/src/rust/library/core/src/lib.rs"));
  // Only what the manifests name: no installer scripts, no manifests.
  EXPECT_FALSE(fs::exists(*sysroot / "install.sh"));
  EXPECT_FALSE(fs::exists(*sysroot / "manifest.in"));
  // Found again without unpacking; no work directory is left behind.
  EXPECT_EQ(InstalledSysroot(*t, cache()).value(), *sysroot);
  EXPECT_EQ(InstallTarballs(*t, cache()).value(), *sysroot);
  for (const auto& e : fs::directory_iterator(cache() / "toolchains")) {
    EXPECT_FALSE(e.path().filename().string().starts_with(".tmp")) << e.path();
  }
}

TEST_F(Installer, TheRustSrcOfTheInstallersVersionIsChosenAmongSeveral) {
  fs::path installer = WriteInstaller("1.85.1");
  WriteRustSrc("1.85.1");
  WriteRustSrc("1.96.0");
  EXPECT_EQ(FindInstallerTarballs("tarball:" + installer.string())->rust_src, dist() / "rust-src-1.85.1.tar.xz");
  fs::remove(dist() / "rust-src-1.85.1.tar.xz");
  WriteRustSrc("1.97.0");
  auto ambiguous = FindInstallerTarballs("tarball:" + installer.string());
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_EQ(ambiguous.error().message,
            installer.string() + ": 2 rust-src tarballs next to it and none is rust-src-1.85.1.tar.*; keep one");
}

TEST_F(Installer, BadNamesSayWhatATarballToolchainIs) {
  EXPECT_EQ(FindInstallerTarballs("tarball:dist/rust.tar.xz").error().message,
            "toolchain tarball:dist/rust.tar.xz: give the installer as an absolute path "
            "(tarball:/path/rust-1.85.1-x86_64-unknown-linux-gnu.tar.xz)");
  EXPECT_EQ(FindInstallerTarballs("tarball:" + (dist() / "none.tar.xz").string()).error().message,
            (dist() / "none.tar.xz").string() + " is not a file");
  std::ofstream(dist() / "rustc.zip") << "zip";
  EXPECT_NE(FindInstallerTarballs("tarball:" + (dist() / "rustc.zip").string()).error().message.find("is not a .tar.xz"),
            std::string::npos);
}

TEST_F(Installer, WithoutRustSrcTheSysrootIsRefusedNamingTheMissingTarball) {
  auto t = FindInstallerTarballs("tarball:" + WriteInstaller("1.85.1").string());
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(t->rust_src.empty());
  auto sysroot = InstallTarballs(*t, cache());
  ASSERT_FALSE(sysroot.has_value());
  EXPECT_EQ(sysroot.error().kind, Error::Kind::kInput);
  EXPECT_NE(sysroot.error().message.find("has no lib/rustlib/src/rust/library"), std::string::npos);
  EXPECT_NE(sysroot.error().message.find("put rust-src-<version>.tar.xz next to rust-1.85.1-"), std::string::npos)
      << sysroot.error().message;
}

TEST_F(Installer, AnArchiveThatNotARustInstallerIsNamedSo) {
  fs::path f = dist() / "rust-1.0.0-x86_64-unknown-linux-gnu.tar.xz";
  ASSERT_TRUE(test::WriteTarXz(f, {{"a/readme", Type::kFile, "hi"}}).has_value());
  auto r = InstallTarballs(*FindInstallerTarballs("tarball:" + f.string()), cache());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, f.string() + ": a/ has no 'components' file: not a Rust installer tarball");
  std::ofstream(dist() / "rust-2.0.0-x86_64-unknown-linux-gnu.tar.xz") << "not an archive at all";
  auto junk = InstallTarballs(*FindInstallerTarballs("tarball:" + (dist() / "rust-2.0.0-x86_64-unknown-linux-gnu.tar.xz").string()), cache());
  ASSERT_FALSE(junk.has_value());
  EXPECT_EQ(junk.error().kind, Error::Kind::kInput);
}

// Each hostile entry is refused and nothing lands outside the unpack directory.
TEST_F(Installer, HostileEntriesAreRefusedAndWriteNothingOutside) {
  struct Case {
    std::string name;
    std::vector<TarEntry> entries;
    std::string expect;
  };
  std::string outside = (tmp_.path() / "outside").string();
  std::vector<Case> cases{
      {"dotdot", {{"a/../../outside", Type::kFile, "x"}}, "leaves the archive's directory"},
      {"absolute", {{outside, Type::kFile, "x"}}, "leaves the archive's directory"},
      {"through-symlink", {{"a", Type::kDir}, {"a/link", Type::kSymlink, tmp_.path().string()},
                           {"a/link/outside", Type::kFile, "x"}}, "a/link/outside"},
      {"hardlink-out", {{"a/h", Type::kHardlink, "../../outside"}}, "points outside the archive"},
      {"fifo", {{"a/fifo", Type::kFifo}}, "is a device, FIFO or socket"},
  };
  for (const auto& c : cases) {
    fs::path archive = dist() / (c.name + ".tar.xz");
    ASSERT_TRUE(test::WriteTarXz(archive, c.entries).has_value()) << c.name;
    fs::path dest = tmp_.path() / ("unpack-" + c.name);
    fs::create_directories(dest);
    auto st = UnpackArchive(archive, dest);
    ASSERT_FALSE(st.has_value()) << c.name;
    EXPECT_EQ(st.error().kind, Error::Kind::kInput) << c.name;
    EXPECT_NE(st.error().message.find(c.expect), std::string::npos) << c.name << ": " << st.error().message;
    EXPECT_FALSE(fs::exists(outside)) << c.name;
  }
}

TEST_F(Installer, AnArchiveLargerThanTheLimitIsRefused) {
  fs::path archive = dist() / "big.tar.xz";
  ASSERT_TRUE(test::WriteTarXz(archive, {{"a/zeros", Type::kFile, std::string(4096, '\0')}}).has_value());
  fs::create_directories(tmp_.path() / "u");
  auto st = UnpackArchive(archive, tmp_.path() / "u", {.max_bytes = 1024});
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message.find("unpacks to more than 1024 bytes"), std::string::npos);
}

TEST_F(Installer, AManifestLineOutsideItsComponentIsRefused) {
  std::string top = "rust-9.9.9-x86_64-unknown-linux-gnu";
  for (const auto& [line, expect] : std::vector<std::pair<std::string, std::string>>{
           {"file:../../../outside", "is not file:PATH or dir:PATH inside the component"},
           {"file:/etc/passwd", "is not file:PATH or dir:PATH inside the component"},
           {"exec:rm -rf /", "is not file:PATH or dir:PATH inside the component"},
           {"file:via/rustc", "goes through a symlink"},
           {"file:bin/missing", "is not in the component"}}) {
    fs::path f = dist() / (top + ".tar.xz");
    fs::remove(f);
    ASSERT_TRUE(test::WriteTarXz(f, {{top + "/components", Type::kFile, "rustc\n"},
                                     {top + "/rustc/manifest.in", Type::kFile, line + "\n"},
                                     {top + "/rustc/bin/rustc", Type::kFile, "x"},
                                     {top + "/rustc/via", Type::kSymlink, "/usr/bin"}})
                    .has_value());
    auto r = InstallTarballs(*FindInstallerTarballs("tarball:" + f.string()), cache());
    ASSERT_FALSE(r.has_value()) << line;
    EXPECT_EQ(r.error().kind, Error::Kind::kInput) << line;
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << line << ": " << r.error().message;
  }
}

}  // namespace
}  // namespace rfl::toolchain

// A compiler the user brings (`toolchains: [dir:/path]`): a sysroot made from
// Debian's rustc 1.85 packages (a real compiler, unpacked, not installed),
// layered over the base rootfs, reports its own `rustc -vV` and passes the
// kernel's `make rustavailable` with the base's clang and bindgen.
#include <gtest/gtest.h>

#include "lab/kernel/source.h"
#include "lab/toolchain/archive.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"
#include "tests/support/test_kernel.h"

namespace rfl::toolchain {
namespace {
namespace fs = std::filesystem;

// bin/rustc, lib/rustlib/{x86_64-unknown-linux-gnu,src/rust} and librustc_driver
// under <dir>/usr, from trixie's rustc, libstd-rust-* and rust-src packages.
Result<fs::path> DebianSysroot(const fs::path& dir) {
  Recipe trixie;
  trixie.name = "sysroot";
  trixie.suite = "trixie";
  auto debs = DownloadPackages(trixie, dir / "apt", {"rustc", "libstd-rust-1.85", "libstd-rust-dev", "rust-src"},
                               DefaultRunner());
  if (!debs) return Fail(debs.error());
  for (const auto& deb : *debs) {
    Command x;
    x.argv = {"dpkg-deb", "-x", deb.string(), (dir / "root").string()};
    x.timeout = std::chrono::minutes(5);
    auto r = DefaultRunner().Run(x);
    if (!r) return Fail(r.error());
    if (!r->ok()) return Fail("dpkg-deb -x {}: {}", deb.string(), r->output);
  }
  return dir / "root" / "usr";
}

TEST(ToolchainSysroot, ADebianRustcUnpackedInADirectoryBuildsRustForTheKernel) {
  auto tmp = TempDir::Create(fs::temp_directory_path(), "rfl-sysroot-");
  ASSERT_TRUE(tmp.has_value());
  auto sysroot = DebianSysroot(tmp->path());
  ASSERT_TRUE(sysroot.has_value()) << sysroot.error().message;
  ASSERT_TRUE(CheckSysroot(*sysroot).has_value());

  std::string name = "dir:" + sysroot->string();
  auto tc = Provision(test::TestCacheDir(), DataDir(), name, DefaultRunner());
  ASSERT_TRUE(tc.has_value()) << tc.error().message;
  EXPECT_TRUE(tc->versions.rustc.starts_with("1.85.")) << tc->versions.rustc_vv;
  EXPECT_NE(tc->versions.rustc_vv.find("commit-hash: "), std::string::npos);
  EXPECT_TRUE(tc->versions.bindgen.starts_with("bindgen 0.71")) << tc->versions.bindgen;
  // Its identity is the compiler, not the path alone: the same sysroot found
  // again gives the same id.
  auto again = FindProvisioned(test::TestCacheDir(), DataDir(), name);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, tc->id);

  auto spec = kernel::ParseSourceSpec("debian:linux-source-7.3");
  ASSERT_TRUE(spec.has_value());
  auto src = kernel::PrepareSource(*spec, test::TestCacheDir(), DefaultRunner());
  ASSERT_TRUE(src.has_value()) << src.error().message;
  fs::path out = tmp->path() / "build";
  fs::create_directories(out);
  Command make;
  make.argv = {"make", "-C", "/src", "O=/build", "LLVM=1", "rustavailable"};
  make.timeout = std::chrono::minutes(5);
  auto r = DefaultRunner().Run(InToolchain(*tc, make, {{src->dir, kSourceMountPoint, false}, {out, kBuildMountPoint, true}}));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->ok()) << r->output;
  EXPECT_NE(r->output.find("Rust is available!"), std::string::npos) << r->output;
}

}  // namespace
}  // namespace rfl::toolchain

// Compilers the user brings. `dir:/path`: a sysroot made from Debian's rustc
// 1.85 packages (a real compiler, unpacked, not installed), layered over the
// base rootfs, reports its own `rustc -vV` and passes the kernel's `make
// rustavailable` with the base's clang and bindgen. `tarball:/path`: trixie's
// rustc-web 1.96.0 packages repacked in the upstream standalone-installer
// layout (rust-<ver>-<host>.tar.xz + rust-src-<ver>.tar.xz), installed by
// the lab, builds the quickstart kernel, which boots with the agent; the
// sysroot it installed, named as a `dir:` toolchain, does too.
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

#include "lab/kernel/artifact.h"
#include "lab/kernel/source.h"
#include "lab/toolchain/archive.h"
#include "lab/toolchain/installer.h"
#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"
#include "lab/util/process.h"
#include "lab/util/temp_dir.h"
#include "tests/support/qemu_boot.h"
#include "tests/support/rust_installer.h"
#include "tests/support/test_kernel.h"

namespace rfl::toolchain {
namespace {
namespace fs = std::filesystem;

// bin/rustc, lib/rustlib/{x86_64-unknown-linux-gnu,src/rust} and librustc_driver
// under <dir>/usr, from trixie's rustc (or rustc-web), libstd-rust-* and
// rust-src packages.
Result<fs::path> DebianSysroot(const fs::path& dir, const std::vector<std::string>& packages = {
                                   "rustc", "libstd-rust-1.85", "libstd-rust-dev", "rust-src"}) {
  Recipe trixie;
  trixie.name = "sysroot";
  trixie.suite = "trixie";
  auto debs = DownloadPackages(trixie, dir / "apt", packages, DefaultRunner());
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

// The upstream-layout tarballs of trixie's rustc-web 1.96.0, made once in the
// test cache (a stable path: the toolchain's name, and so the kernel's build
// key, stays the same from run to run).
Result<fs::path> RustcWebInstaller() {
  fs::path dir = test::TestCacheDir() / "test-toolchains" / "rustc-web-1.96";
  fs::path installer = dir / "dist" / "rust-1.96.0-x86_64-unknown-linux-gnu.tar.xz";
  if (fs::is_regular_file(installer) && fs::is_regular_file(dir / "dist" / "rust-src-1.96.0.tar.xz")) return installer;
  auto tmp = TempDir::Create(dir.parent_path(), ".tmp-rustc-web-");
  if (!tmp) return Fail(tmp.error());
  auto sysroot = DebianSysroot(tmp->path(), {"rustc-web", "libstd-rust-web-1.96", "libstd-rust-web-dev", "rust-web-src",
                                                 // rustc-web links LLVM 22, which the base (LLVM 19) lacks;
                                                 // an upstream rustc component ships its libLLVM too.
                                                 "libllvm22"});
  if (!sysroot) return Fail(sysroot.error());
  fs::create_directories(tmp->path() / "dist");
  auto packed = test::PackInstallerTarballs(*sysroot, tmp->path() / "dist", "1.96.0", "x86_64-unknown-linux-gnu");
  if (!packed) return Fail(packed.error());
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  fs::rename(tmp->path() / "dist", dir / "dist", ec);
  if (ec) return Fail("mv {}: {}", dir.string(), ec.message());
  return installer;
}

// Boots `kernel` with the agent: boot, the Rust samples and binder pass.
void ExpectBootsWithTheAgent(const kernel::Artifact& kernel, const std::string& id) {
  auto plan = agent::ParsePlan(fmt::format(R"({{"version":1,"boot_id":"{}","workloads":[
    {{"name":"boot","timeout_s":10}},
    {{"name":"rust-samples","timeout_s":10}},
    {{"name":"binder","timeout_s":240,"params":{{"payloads":[0,4096],"iterations":200,"warmup":20}}}}]}})",
                                           id));
  ASSERT_TRUE(plan.has_value()) << plan.error();
  agent::testing::QemuBootOptions o;
  o.arch = Arch::kX86_64;
  o.kernel = kernel.image;
  auto run = agent::testing::BootWithAgent(o, *plan);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  ASSERT_FALSE(run->timed_out) << run->console.substr(run->console.size() > 4000 ? run->console.size() - 4000 : 0);
  for (const char* w : {"boot", "rust-samples", "binder"}) {
    auto r = run->ResultOf(w);
    ASSERT_TRUE(r.has_value()) << w << "\n" << run->console;
    EXPECT_EQ(r->status, agent::Status::kPassed) << w << ": " << r->reason;
  }
}

TEST(ToolchainTarball, AnUpstreamInstallerBuildsTheQuickstartKernelWhichBootsWithTheAgent) {
  auto installer = RustcWebInstaller();
  ASSERT_TRUE(installer.has_value()) << installer.error().message;
  std::string name = "tarball:" + installer->string();
  auto tarballs = FindInstallerTarballs(name);
  ASSERT_TRUE(tarballs.has_value()) << tarballs.error().message;
  EXPECT_EQ(tarballs->rust_src.filename(), "rust-src-1.96.0.tar.xz");

  auto tc = Provision(test::TestCacheDir(), DataDir(), name, DefaultRunner());
  ASSERT_TRUE(tc.has_value()) << tc.error().message;
  EXPECT_EQ(tc->versions.rustc, "1.96.0") << tc->versions.rustc_vv;
  EXPECT_NE(tc->versions.rustc_vv.find("commit-hash: "), std::string::npos);
  auto again = FindProvisioned(test::TestCacheDir(), DataDir(), name);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, tc->id);

  // The quickstart tree (rustc-1.96: the same clang 19 and bindgen 0.71 as
  // the base rootfs) seeds this one: kbuild rebuilds every Rust object for
  // the new compiler (its library sources moved to /opt/rust) and no C.
  auto seed = test::QuickstartKernel(Arch::kX86_64);
  ASSERT_TRUE(seed.has_value()) << seed.error().message;
  auto kernel = test::QuickstartKernel(Arch::kX86_64, name);
  ASSERT_TRUE(kernel.has_value()) << kernel.error().message;
  EXPECT_EQ(kernel->versions.rustc, "1.96.0");
  EXPECT_EQ(kernel->toolchain, name);
  if (kernel->rebuild.kind != "noop") {  // a rerun finds the artifact
    EXPECT_EQ(kernel->rebuild.kind, "seeded");
    EXPECT_NE(std::find(kernel->rebuild.rust_objects.begin(), kernel->rebuild.rust_objects.end(), "rust/core.o"),
              kernel->rebuild.rust_objects.end());
    EXPECT_LT(kernel->rebuild.c_objects.size(), 20u) << "C objects were rebuilt for a rustc change";
  }

  ExpectBootsWithTheAgent(*kernel, "tarball");
}

// The sysroot the lab installed from those tarballs, named as a `dir:`
// toolchain (the layout of a rustup toolchain): its own build, in a tree
// seeded from the family's last built one (after the tarball test, the
// tarball kernel's: the same compiler at the same mount point, so little to
// recompile), and the kernel boots with the agent.
TEST(ToolchainSysroot, AnInstalledSysrootNamedAsADirToolchainBuildsAKernelWhichBootsWithTheAgent) {
  auto installer = RustcWebInstaller();
  ASSERT_TRUE(installer.has_value()) << installer.error().message;
  std::string tarball = "tarball:" + installer->string();
  auto tarballs = FindInstallerTarballs(tarball);
  ASSERT_TRUE(tarballs.has_value()) << tarballs.error().message;
  auto sysroot = InstallTarballs(*tarballs, test::TestCacheDir());
  ASSERT_TRUE(sysroot.has_value()) << sysroot.error().message;
  // The tarball kernel is seeded from the quickstart's (what the tarball
  // test checks), whichever of the two tests builds it first.
  auto quickstart = test::QuickstartKernel(Arch::kX86_64);
  ASSERT_TRUE(quickstart.has_value()) << quickstart.error().message;
  auto seed = test::QuickstartKernel(Arch::kX86_64, tarball);
  ASSERT_TRUE(seed.has_value()) << seed.error().message;

  std::string name = "dir:" + sysroot->string();
  auto kernel = test::QuickstartKernel(Arch::kX86_64, name);
  ASSERT_TRUE(kernel.has_value()) << kernel.error().message;
  EXPECT_EQ(kernel->toolchain, name);
  EXPECT_EQ(kernel->versions.rustc_vv, seed->versions.rustc_vv);
  EXPECT_NE(kernel->key, seed->key);  // another toolchain name: its own build
  if (kernel->rebuild.kind != "noop") {
    EXPECT_EQ(kernel->rebuild.kind, "seeded");
  }
  ExpectBootsWithTheAgent(*kernel, "dir");
}

}  // namespace
}  // namespace rfl::toolchain

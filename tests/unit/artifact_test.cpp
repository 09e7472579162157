// Artifact metadata (JSON round trip, keys) and ELF section sizes of a real
// Rust object from a quickstart build (tests/fixtures/kernel/elf/).
#include "lab/kernel/artifact.h"

#include <sstream>

#include <gtest/gtest.h>

#include "lab/kernel/build.h"
#include "lab/kernel/elf_sizes.h"
#include "lab/scenario/plan.h"
#include "lab/util/paths.h"

namespace rfl::kernel {
namespace {

Artifact Sample() {
  Artifact a;
  a.key = "0123456789abcdef";
  a.build_key = "b1";
  a.tree_key = "t1";
  a.dir = "/cache/artifacts/0123456789abcdef";
  a.image = a.dir / "bzImage";
  a.vmlinux = a.dir / "vmlinux";
  a.config = a.dir / "config";
  a.system_map = a.dir / "System.map";
  a.build_log = a.dir / "build.log";
  a.arch = "x86_64";
  a.source_spec = "debian:linux-source-7.3";
  a.source_id = "debian:linux-source-7.3=7.3.4-1~bpo13+1";
  a.kernel_version = "7.3.4";
  a.toolchain = "rustc-1.96";
  a.toolchain_id = "tc";
  a.versions.rustc = "1.96.1";
  a.versions.rustc_vv = "rustc 1.96.1\nrelease: 1.96.1\n";
  a.versions.bindgen = "bindgen 0.71.1";
  a.variants = {"ibt-rust"};
  a.requested_rustflags = {"-Zcf-protection=branch"};
  a.effective_rustflags_core = {"-Copt-level=s", "-Zcf-protection=branch"};
  a.effective_rustflags_kernel = {"-Zcf-protection=branch"};
  a.build_seconds = 52.5;
  a.rebuild = {"incremental", 40, {"rust/core.o", "rust/kernel.o"}, {"init/version.o"}};
  a.vmlinux_sizes = {3000000, 500000, 200000};
  a.rust_sizes = {90000, 1000, 16};
  a.rust_objects = {{"rust/kernel.o", {80000, 900, 16}}, {"rust/core.o", {10000, 100, 0}}};
  a.created_at = 1700000000;
  return a;
}

TEST(Artifact, MetadataRoundTripsWithPathsRelativeToTheArtifactDir) {
  Artifact a = Sample();
  auto j = ToJson(a);
  EXPECT_EQ(j["files"]["image"], "bzImage");
  EXPECT_EQ(j["rustflags"]["effective_core"][1], "-Zcf-protection=branch");
  EXPECT_EQ(j["sizes"]["vmlinux"]["text"], 3000000);
  // Moved cache: the paths follow the directory.
  auto b = ArtifactFromJson(j, "/elsewhere/abc");
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->image, std::filesystem::path("/elsewhere/abc/bzImage"));
  EXPECT_EQ(b->key, a.key);
  EXPECT_EQ(b->source_id, a.source_id);
  EXPECT_EQ(b->versions.rustc_vv, a.versions.rustc_vv);
  EXPECT_EQ(b->effective_rustflags_core, a.effective_rustflags_core);
  EXPECT_EQ(b->rebuild.rust_objects, a.rebuild.rust_objects);
  EXPECT_EQ(b->rebuild.kind, "incremental");
  EXPECT_EQ(b->rust_objects.size(), 2u);
  EXPECT_EQ(b->rust_objects[0].sizes, a.rust_objects[0].sizes);
  EXPECT_EQ(b->vmlinux_sizes, a.vmlinux_sizes);
  EXPECT_EQ(b->build_seconds, 52.5);
}

TEST(Artifact, BrokenMetadataIsAnErrorNotACrash) {
  auto r = ArtifactFromJson(nlohmann::json{{"key", "x"}}, "/d");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("/d"), std::string::npos);
}

TEST(Artifact, KeyDependsOnSourceAndToolchainIdentity) {
  scenario::BuildSpec spec;
  spec.key = "k";
  auto a = ArtifactKey(spec, "debian:linux-source-7.3=7.3.4-1~bpo13+1", "tc1");
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, ArtifactKey(spec, "debian:linux-source-7.3=7.3.4-1~bpo13+1", "tc1"));
  EXPECT_NE(a, ArtifactKey(spec, "debian:linux-source-7.3=7.3.5-1~bpo13+1", "tc1"));
  EXPECT_NE(a, ArtifactKey(spec, "debian:linux-source-7.3=7.3.4-1~bpo13+1", "tc2"));
}

TEST(BuildOutcome, FailureRoundTrips) {
  BuildOutcome o;
  o.status = BuildOutcome::Status::kFailed;
  o.build_key = "b";
  o.failure = BuildFailure{FailureClass::kLinkError, "link-error: ld.lld: error: undefined symbol: __x86_return_thunk",
                           {"ld.lld: error: undefined symbol: __x86_return_thunk"}, "/cache/trees/t/logs/b.log"};
  auto j = ToJson(o);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["failure"]["class"], "link-error");
  auto back = BuildOutcomeFromJson(j);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->failure->cls, FailureClass::kLinkError);
  EXPECT_EQ(back->failure->log, std::filesystem::path("/cache/trees/t/logs/b.log"));
  EXPECT_FALSE(back->artifact.has_value());
}

TEST(ElfSizes, RealRustObjectMatchesBinutilsSize) {
  // Expected numbers: `size` (GNU binutils, Berkeley format) on the same file.
  auto dir = std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "elf";
  auto s = ReadElfSizes(dir / "rust_minimal.o");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  auto expected = ReadFile(dir / "rust_minimal.size.txt");
  ASSERT_TRUE(expected.has_value());
  // Second line of `size` output: "   text    data     bss     dec     hex filename".
  auto nl = expected->find('\n');
  std::istringstream in(expected->substr(nl + 1));
  uint64_t text = 0, data = 0, bss = 0;
  in >> text >> data >> bss;
  EXPECT_EQ(s->text, text);
  EXPECT_EQ(s->data, data);
  EXPECT_EQ(s->bss, bss);
}

TEST(ElfSizes, NonElfFileIsAnError) {
  auto r = ReadElfSizes(std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "elf" / "rust_minimal.size.txt");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not an ELF"), std::string::npos);
}

}  // namespace
}  // namespace rfl::kernel

// Real kernel builds (label integration): the quickstart scenario's x86_64
// kernels with the rustc-1.96 toolchain, through the lab's public API, in the
// lab cache (RFL_LAB_CACHE_DIR or the default). On an empty cache the first
// test provisions the toolchain, downloads linux-source-7.3 and builds from
// scratch (~6 min on 2 cores); later runs reuse the cache.
#include <algorithm>
#include <set>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>

#include "lab/kernel/build.h"
#include "lab/toolchain/toolchain.h"
#include "lab/util/paths.h"
#include "tests/support/test_kernel.h"

namespace rfl {
namespace {

using kernel::BuildOutcome;

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

Result<BuildOutcome> Build(const scenario::BuildSpec& spec, bool force) {
  kernel::BuildContext ctx;
  ctx.cache_dir = test::TestCacheDir();
  ctx.data_dir = DataDir();
  ctx.force = force;
  ctx.progress = &std::cerr;
  ctx.progress_tty = false;
  return kernel::BuildKernel(spec, ctx);
}

TEST(BuildQuickstart, ProvisionedToolchainReportsRustc196) {
  auto tc = toolchain::Provision(test::TestCacheDir(), DataDir(), "rustc-1.96", DefaultRunner());
  ASSERT_TRUE(tc.has_value()) << tc.error().message;
  EXPECT_TRUE(tc->versions.rustc.starts_with("1.96")) << tc->versions.rustc_vv;
  EXPECT_TRUE(tc->versions.bindgen.starts_with("bindgen ")) << tc->versions.bindgen;
  EXPECT_NE(tc->versions.clang.find("clang version"), std::string::npos) << tc->versions.clang;
  EXPECT_TRUE(std::filesystem::exists(tc->dir / "toolchain.json"));
  auto again = toolchain::FindProvisioned(test::TestCacheDir(), DataDir(), "rustc-1.96");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, tc->id);
}

TEST(BuildQuickstart, BaselineThenKrustflagsVariantRebuildsOnlyRustAndRerunIsCacheHit) {
  auto base_spec = test::QuickstartBuildSpec(Arch::kX86_64, "baseline");
  auto ibt_spec = test::QuickstartBuildSpec(Arch::kX86_64, "ibt-rust");
  ASSERT_TRUE(base_spec.has_value()) << base_spec.error().message;
  ASSERT_TRUE(ibt_spec.has_value()) << ibt_spec.error().message;
  ASSERT_EQ(base_spec->tree_key, ibt_spec->tree_key) << "KRUSTFLAGS variants must share a tree";
  ASSERT_NE(base_spec->key, ibt_spec->key);

  // scripts/test.sh built the baseline before the tier: usually a cache hit.
  auto base = Build(*base_spec, false);
  ASSERT_TRUE(base.has_value()) << base.error().message;
  ASSERT_TRUE(base->ok()) << base->failure->message << "\n" << base->failure->log;
  const auto& a = *base->artifact;
  EXPECT_TRUE(std::filesystem::exists(a.image));
  EXPECT_EQ(a.image.filename(), "bzImage");
  EXPECT_TRUE(std::filesystem::exists(a.vmlinux));
  EXPECT_TRUE(std::filesystem::exists(a.system_map));
  EXPECT_TRUE(std::filesystem::exists(a.build_log));
  EXPECT_EQ(a.arch, "x86_64");
  EXPECT_EQ(a.kernel_version.substr(0, 3), "7.3");
  EXPECT_TRUE(a.versions.rustc.starts_with("1.96")) << a.versions.rustc;
  EXPECT_NE(a.versions.rustc_vv.find("host: x86_64-unknown-linux-gnu"), std::string::npos);
  EXPECT_TRUE(Has(a.effective_rustflags_core, "-Copt-level=s")) << "tinyconfig optimizes for size";
  EXPECT_TRUE(Has(a.effective_rustflags_kernel, "-Cpanic=abort"));
  EXPECT_FALSE(Has(a.effective_rustflags_core, "-Zcf-protection=branch"));
  EXPECT_GT(a.vmlinux_sizes.text, 1000000u);
  EXPECT_GT(a.rust_sizes.text, 10000u);
  EXPECT_LT(a.rust_sizes.text, a.vmlinux_sizes.text);
  std::vector<std::string> rust_paths;
  for (const auto& o : a.rust_objects) rust_paths.push_back(o.path);
  EXPECT_TRUE(Has(rust_paths, "rust/kernel.o"));
  EXPECT_TRUE(Has(rust_paths, "rust/core.o"));
  EXPECT_TRUE(Has(rust_paths, "samples/rust/rust_minimal.o"));
  auto config = ReadFile(a.config);
  ASSERT_TRUE(config.has_value());
  for (const char* sym : {"CONFIG_RUST=y", "CONFIG_ANDROID_BINDER_IPC_RUST=y", "CONFIG_BLK_DEV_RUST_NULL=y",
                          "CONFIG_VIRTIO_CONSOLE=y", "CONFIG_SAMPLE_RUST_MINIMAL=y"}) {
    EXPECT_NE(config->find(std::string("\n") + sym + "\n"), std::string::npos) << sym;
  }
  // The metadata on disk says the same.
  auto loaded = kernel::LoadArtifact(a.dir);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->effective_rustflags_core, a.effective_rustflags_core);
  EXPECT_EQ(loaded->vmlinux_sizes, a.vmlinux_sizes);

  // The KRUSTFLAGS variant, in the same tree: only Rust objects (and a few C
  // files plus the link) are rebuilt. The tree holds the objects of whichever
  // of its variants was built last (the baseline, or another flag variant
  // another test built): either way a KRUSTFLAGS-only change. Only when it
  // already holds this variant's (a rerun) is the forced build a no-op; then
  // the baseline's objects go back first, which costs a second Rust rebuild.
  auto ibt = Build(*ibt_spec, true);
  ASSERT_TRUE(ibt.has_value()) << ibt.error().message;
  ASSERT_TRUE(ibt->ok()) << ibt->failure->message;
  if (ibt->artifact->rebuild.kind == "noop") {
    auto back = Build(*base_spec, true);
    ASSERT_TRUE(back.has_value() && back->ok());
    ibt = Build(*ibt_spec, true);
    ASSERT_TRUE(ibt.has_value()) << ibt.error().message;
    ASSERT_TRUE(ibt->ok()) << ibt->failure->message;
  }
  ASSERT_EQ(ibt->status, BuildOutcome::Status::kBuilt);
  const auto& b = *ibt->artifact;
  std::cerr << "baseline make: " << a.build_seconds << " s (" << a.rebuild.kind << "), ibt-rust make: "
            << b.build_seconds << " s, rebuilt " << b.rebuild.objects << " objects (" << b.rebuild.rust_objects.size()
            << " Rust)\n";
  EXPECT_EQ(b.rebuild.kind, "incremental");
  EXPECT_TRUE(Has(b.rebuild.rust_objects, "rust/core.o"));
  EXPECT_TRUE(Has(b.rebuild.rust_objects, "rust/kernel.o"));
  EXPECT_TRUE(Has(b.rebuild.rust_objects, "samples/rust/rust_minimal.o"));
  EXPECT_LT(b.rebuild.c_objects.size(), 40u) << "a KRUSTFLAGS change must not rebuild the C kernel";
  EXPECT_TRUE(Has(b.effective_rustflags_core, "-Zcf-protection=branch"));
  EXPECT_TRUE(Has(b.effective_rustflags_kernel, "-Zcf-protection=branch"));
  EXPECT_NE(a.key, b.key);
  EXPECT_NE(a.rust_sizes, b.rust_sizes) << "endbr64 pads change Rust code size";

  // A rerun is a cache hit and costs no build.
  auto hit = Build(*ibt_spec, false);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->status, BuildOutcome::Status::kCacheHit);
  EXPECT_LT(hit->seconds, 30.0);
  EXPECT_EQ(hit->artifact->key, b.key);
  auto looked = kernel::LookupCachedArtifact(*ibt_spec, test::TestCacheDir());
  ASSERT_TRUE(looked.has_value());
  EXPECT_EQ(looked->dir, b.dir);
}

// The code-check stage on the two artifacts of the test above (cache hits
// here): the variant's Rust objects carry endbr64 where IBT demands it, the
// baseline's carry none — the control that makes `effective` mean something.
TEST(BuildQuickstart, CodeCheckStageFindsIbtInTheVariantsRustObjectsAndNotInTheBaselines) {
  for (const char* v : {"baseline", "ibt-rust"}) {
    auto a = test::QuickstartVariantKernel(Arch::kX86_64, v);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_EQ(kernel::RustObjectCopies(*a).size(), a->rust_objects.size()) << "the artifact keeps every Rust object";
  }
  auto checks = test::QuickstartCodeChecks(Arch::kX86_64, {"baseline", "ibt-rust"});
  ASSERT_TRUE(checks.has_value()) << checks.error().message;
  auto find = [&](const std::string& variant, const std::string& flag) {
    return test::FindCheck(*checks, variant, flag);
  };
  const auto* ibt = find("ibt-rust", "-Zcf-protection=branch");
  ASSERT_NE(ibt, nullptr);
  EXPECT_TRUE(ibt->claimed);
  EXPECT_EQ(ibt->verdict, "effective") << (ibt->offenders.empty() ? "" : ibt->offenders.front());
  EXPECT_GT(ibt->checked, 1000);
  EXPECT_EQ(ibt->with_signature, ibt->checked);
  const auto* control = find("baseline", "-Zcf-protection=branch");
  ASSERT_NE(control, nullptr);
  EXPECT_FALSE(control->claimed);
  EXPECT_EQ(control->verdict, "absent");
  EXPECT_EQ(control->with_signature, 0);
  // The failing variant's flag is judged as a control in both.
  for (const char* v : {"baseline", "ibt-rust"}) {
    const auto* thunk = find(v, "-Zfunction-return=thunk-extern");
    ASSERT_NE(thunk, nullptr) << v;
    EXPECT_EQ(thunk->verdict, "absent") << v;
  }
  for (const auto& [v, records] : *checks) {
    for (const auto& c : records) EXPECT_FALSE(results::CodeCheckProblem(c).has_value()) << v << " " << c.flag;
  }
}

// The tests' patchable-entry variant (rfl::test::TestFlagVariants: what
// kbuild passes for CALL_PADDING, -Zpatchable-function-entry=16,16, on the
// Rust crates alone; a Rust-only rebuild of the baseline's tree): 16 NOP
// bytes before every Rust function's entry and the entry listed in
// __patchable_function_entries; the baseline has neither.
TEST(BuildQuickstart, CodeCheckStageFindsPatchableEntriesInTheVariantAndNotInTheBaseline) {
  auto checks = test::QuickstartCodeChecks(Arch::kX86_64, {"baseline", "patchable-entry"});
  ASSERT_TRUE(checks.has_value()) << checks.error().message;
  const std::string flag = "-Zpatchable-function-entry=16,16";
  const auto* variant = test::FindCheck(*checks, "patchable-entry", flag);
  ASSERT_NE(variant, nullptr);
  EXPECT_TRUE(variant->claimed);
  EXPECT_EQ(variant->verdict, "effective") << (variant->offenders.empty() ? "" : variant->offenders.front());
  EXPECT_GT(variant->checked, 1000);
  EXPECT_EQ(variant->with_signature, variant->checked);
  const auto* control = test::FindCheck(*checks, "baseline", flag);
  ASSERT_NE(control, nullptr);
  EXPECT_FALSE(control->claimed);
  EXPECT_EQ(control->verdict, "absent");
  EXPECT_EQ(control->with_signature, 0);
  for (const auto& [v, records] : *checks) {
    for (const auto& c : records) EXPECT_FALSE(results::CodeCheckProblem(c).has_value()) << v << " " << c.flag;
  }
}

TEST(BuildQuickstart, ReturnThunksWithoutRethunkFailToLinkAndSaySo) {
  auto spec = test::QuickstartBuildSpec(Arch::kX86_64, "rethunk-without-thunk");
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  ASSERT_EQ(spec->expect, Expect::kBuildFailure);
  auto r = Build(*spec, false);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->status, BuildOutcome::Status::kFailed);
  EXPECT_EQ(r->failure->cls, kernel::FailureClass::kLinkError) << r->failure->message;
  bool found = std::any_of(r->failure->excerpt.begin(), r->failure->excerpt.end(), [](const std::string& l) {
    return l.find("undefined symbol: __x86_return_thunk") != std::string::npos;
  });
  EXPECT_TRUE(found) << r->failure->message;
  EXPECT_TRUE(std::filesystem::exists(r->failure->log));
  EXPECT_FALSE(kernel::LookupCachedArtifact(*spec, test::TestCacheDir()).has_value());

  // Same inputs, same failure: the second time it is replayed from the cache
  // with its class, excerpt and log, and costs no make.
  auto again = Build(*spec, false);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  ASSERT_EQ(again->status, BuildOutcome::Status::kFailed);
  EXPECT_TRUE(again->failure_from_cache);
  EXPECT_EQ(again->failure->cls, kernel::FailureClass::kLinkError);
  EXPECT_EQ(again->failure->excerpt, r->failure->excerpt);
  EXPECT_TRUE(std::filesystem::exists(again->failure->log));
  EXPECT_LT(again->seconds, 30.0);
}

// A Kconfig variant gets its own tree, but that tree starts as a copy of the
// baseline's (same source, arch, clang and bindgen): kbuild then rebuilds what the
// config change touches (the binder drivers, the Rust crates, which see
// every config symbol) instead of the whole kernel.
TEST(BuildQuickstart, AKconfigVariantStartsFromTheBuiltBaselineTreeAndRebuildsOnlyWhatItsConfigChanges) {
  auto base_spec = test::QuickstartBuildSpec(Arch::kX86_64, "baseline");
  auto c_spec = test::QuickstartBuildSpec(Arch::kX86_64, "c-binder");
  ASSERT_TRUE(base_spec.has_value() && c_spec.has_value());
  ASSERT_NE(base_spec->tree_key, c_spec->tree_key) << "a Kconfig variant has its own tree";
  auto base = Build(*base_spec, false);
  ASSERT_TRUE(base.has_value() && base->ok());
  // A rerun: start the variant's tree afresh so it is seeded again.
  std::error_code ec;
  std::filesystem::remove_all(kernel::TreeDir(test::TestCacheDir(), *c_spec), ec);
  auto kept_base_configs = [] {
    std::set<std::string> files;
    std::error_code dir_ec;
    for (const auto& e : std::filesystem::directory_iterator(kernel::BaseConfigDir(test::TestCacheDir()), dir_ec)) {
      files.insert(e.path().string());
    }
    return files;
  };
  const auto kept_before = kept_base_configs();

  auto c = Build(*c_spec, true);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_TRUE(c->ok()) << c->failure->message << "\n" << c->failure->log;
  ASSERT_EQ(c->status, BuildOutcome::Status::kBuilt);
  const auto& a = *c->artifact;
  // Its base config (tinyconfig's allnoconfig pass: the same source, arch
  // and toolchain as the baseline's) comes from the cache dir when the
  // baseline's config step kept it; a baseline tree configured before the
  // lab kept base configs leaves it to this build to make and keep.
  auto log_text = ReadFile(a.build_log);
  ASSERT_TRUE(log_text.has_value());
  const std::string marker = "rfl-lab: make KCONFIG_ALLCONFIG=kernel/configs/tiny-base.config allnoconfig: the base config kept in ";
  if (auto at = log_text->find(marker); at != std::string::npos) {
    std::string path = log_text->substr(at + marker.size(), log_text->find('\n', at) - at - marker.size());
    EXPECT_TRUE(kept_before.contains(path)) << path;
    // One Kconfig pass (olddefconfig) wrote a .config, not two.
    size_t passes = 0;
    for (size_t pos = 0; (pos = log_text->find("# configuration written to .config", pos)) != std::string::npos; ++pos) {
      ++passes;
    }
    EXPECT_EQ(passes, 1u) << "the base pass ran although it was kept";
  } else {
    auto kept_after = kept_base_configs();
    std::vector<std::string> made;
    std::set_difference(kept_after.begin(), kept_after.end(), kept_before.begin(), kept_before.end(),
                        std::back_inserter(made));
    EXPECT_EQ(made.size(), 1u) << "the variant made its base config and did not keep it, or a kept one was not used";
  }
  std::cerr << "c-binder make: " << a.build_seconds << " s (" << a.rebuild.kind << " from " << a.rebuild.seeded_from
            << "), rebuilt " << a.rebuild.objects << " objects (" << a.rebuild.rust_objects.size() << " Rust)\n";
  EXPECT_EQ(a.rebuild.kind, "seeded");
  EXPECT_EQ(a.rebuild.seeded_from, base_spec->tree_key);
  EXPECT_TRUE(Has(a.rebuild.c_objects, "drivers/android/binder.o")) << "the C driver is new";
  EXPECT_LT(a.rebuild.c_objects.size(), 150u) << "a binder Kconfig change must not rebuild the C kernel";
  auto config = ReadFile(a.config);
  ASSERT_TRUE(config.has_value());
  EXPECT_NE(config->find("\nCONFIG_ANDROID_BINDER_IPC=y\n"), std::string::npos);
  EXPECT_EQ(config->find("\nCONFIG_ANDROID_BINDER_IPC_RUST=y\n"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(a.image));
  // The seeded tree still holds the Rust binder object another variant
  // compiled; it is not linked into this kernel, so it is not this kernel's.
  for (const auto& o : a.rust_objects) EXPECT_FALSE(o.path.starts_with("drivers/android/binder/")) << o.path;
}

}  // namespace
}  // namespace rfl

// bench_krustflags_variants: N=3 KRUSTFLAGS variants of the quickstart x86_64
// kernel built the lab's way (one O= tree: one full build, then Rust-only
// rebuilds) and as 3 independent full builds (3 fresh trees). Prints the make
// times and their ratio (goal ≤ 0.5). Uses the lab cache (toolchain and
// source reused) with fresh bench-only trees, removed afterwards, and ccache
// off on both sides, so the figure is the shared tree's alone (with ccache a
// fresh tree recompiles little C either way). The shared tree's first build is
// itself a full build of variant 1 in a fresh tree, so it also counts as
// independent build 1: 3 full builds and 2 Rust-only rebuilds, ~55 min on 2
// idle cores.
#include <filesystem>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>

#include "lab/kernel/build.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "tests/support/test_kernel.h"

namespace fs = std::filesystem;
using namespace rfl;

namespace {

const std::vector<std::vector<std::string>> kVariants = {
    {}, {"-Zcf-protection=branch"}, {"-Cforce-frame-pointers=yes"}};

// A copy of the spec in its own (bench-only) tree.
scenario::BuildSpec InTree(scenario::BuildSpec spec, const std::string& tree, const std::vector<std::string>& flags) {
  spec.tree_key = KeyHasher().Add("bench").Add(spec.tree_key).Add(tree).Short();
  spec.rustflags = flags;
  KeyHasher h;
  h.Add("bench-build").Add(spec.tree_key);
  for (const auto& f : flags) h.Add(f);
  spec.key = h.Short();
  return spec;
}

std::optional<double> Build(const scenario::BuildSpec& spec, const std::string& label) {
  kernel::BuildContext ctx;
  ctx.cache_dir = test::TestCacheDir();
  ctx.data_dir = DataDir();
  ctx.force = true;
  ctx.ccache = false;
  ctx.label = label;
  auto r = kernel::BuildKernel(spec, ctx);
  if (!r || !r->artifact) {
    std::cerr << label << ": " << (r ? r->failure->message : r.error().message) << "\n";
    return std::nullopt;
  }
  fs::remove_all(r->artifact->dir);
  return r->artifact->build_seconds;
}

}  // namespace

int main() {
  auto base = test::QuickstartBuildSpec(Arch::kX86_64, "baseline");
  if (!base) {
    std::cerr << base.error().message << "\n";
    return 3;
  }
  std::string run = std::to_string(::getpid());
  std::vector<std::string> trees;
  double shared = 0, independent = 0;
  for (size_t i = 0; i < kVariants.size(); ++i) {
    auto spec = InTree(*base, "shared-" + run, kVariants[i]);
    trees.push_back(spec.tree_key);
    auto t = Build(spec, fmt::format("shared tree, variant {}", i + 1));
    if (!t) return 1;
    std::cout << fmt::format("shared tree  variant {} ({}): {:.1f} s\n", i + 1,
                             kVariants[i].empty() ? "none" : kVariants[i][0], *t);
    shared += *t;
    if (i == 0) {
      independent += *t;
      std::cout << fmt::format("independent  variant 1 (none): {:.1f} s (the shared tree's first, full build)\n", *t);
    }
  }
  for (size_t i = 1; i < kVariants.size(); ++i) {
    auto spec = InTree(*base, fmt::format("independent-{}-{}", i, run), kVariants[i]);
    trees.push_back(spec.tree_key);
    auto t = Build(spec, fmt::format("independent tree {}", i + 1));
    if (!t) return 1;
    std::cout << fmt::format("independent  variant {} ({}): {:.1f} s\n", i + 1,
                             kVariants[i].empty() ? "none" : kVariants[i][0], *t);
    independent += *t;
  }
  for (const auto& t : trees) {
    fs::remove_all(test::TestCacheDir() / "trees" / t);
    fs::remove(test::TestCacheDir() / "trees" / (t + ".lock"));
  }
  std::cout << fmt::format("N=3 KRUSTFLAGS variants: shared tree {:.1f} s, independent {:.1f} s, ratio {:.2f} (goal <= 0.5)\n",
                           shared, independent, shared / independent);
  return 0;
}

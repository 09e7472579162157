// bench_code_check_stage: the run's code-check stage (lab/pipeline/code_check.h)
// on the quickstart's x86_64 baseline and ibt-rust artifacts, against the
// make time of ibt-rust's KRUSTFLAGS-only rebuild (goal: the check under 5 %
// of it). Builds the two kernels first if the lab cache lacks them (~25 min
// cold on 2 cores); then each check runs 5 times and the median is printed.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "lab/kernel/build.h"
#include "lab/pipeline/code_check.h"
#include "lab/util/paths.h"
#include "tests/support/test_kernel.h"

using namespace rfl;

namespace {

Result<kernel::Artifact> Built(const scenario::BuildSpec& spec) {
  if (auto a = kernel::LookupCachedArtifact(spec, test::TestCacheDir())) return *a;
  kernel::BuildContext ctx;
  ctx.cache_dir = test::TestCacheDir();
  ctx.data_dir = DataDir();
  ctx.progress = &std::cerr;
  ctx.progress_tty = false;
  auto r = kernel::BuildKernel(spec, ctx);
  if (!r) return std::unexpected(r.error());
  if (!r->artifact) return Fail("{} failed to build: {}", spec.variants.front(), r->failure->message);
  return *r->artifact;
}

}  // namespace

int main() {
  auto plan = test::QuickstartPlan(Arch::kX86_64);
  if (!plan) {
    std::cerr << plan.error().message << "\n";
    return 2;
  }
  double rebuild_seconds = 0;
  for (const char* variant : {"baseline", "ibt-rust"}) {
    auto spec = test::QuickstartBuildSpec(Arch::kX86_64, variant);
    if (!spec) {
      std::cerr << spec.error().message << "\n";
      return 2;
    }
    auto a = Built(*spec);
    if (!a) {
      std::cerr << a.error().message << "\n";
      return 2;
    }
    if (std::string(variant) == "ibt-rust") rebuild_seconds = a->build_seconds;
    auto flags = pipeline::FlagsToCheck(*plan, *spec, a->effective_rustflags_kernel);
    std::vector<double> times;
    std::vector<results::CodeCheckRecord> records;
    for (int i = 0; i < 5; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      records = pipeline::CheckBuildCode(flags, *a);
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    fmt::print("{}: {} Rust objects, {} flags, median {:.3f} s (min {:.3f}, max {:.3f}) over 5 runs\n", variant,
               a->rust_objects.size(), flags.size(), times[2], times.front(), times.back());
    for (const auto& c : records) {
      fmt::print("  {:32} {:8} {:10} {}/{} ({} exempt)\n", c.flag, c.claimed ? "claimed" : "control", c.verdict,
                 c.with_signature, c.checked, c.exempt);
    }
    if (std::string(variant) == "ibt-rust" && rebuild_seconds > 0) {
      fmt::print("ibt-rust make (KRUSTFLAGS-only rebuild in the shared tree, as cached): {:.1f} s; "
                 "check / rebuild = {:.2f} % (goal < 5 %)\n",
                 rebuild_seconds, 100.0 * times[2] / rebuild_seconds);
    }
  }
  return 0;
}

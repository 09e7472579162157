#include "tests/support/synthetic_run.h"

#include <cmath>
#include <random>

namespace rfl::results {
namespace {

// Box-Muller over mt19937_64 bits: the same numbers with every standard library.
double Normal(std::mt19937_64& rng) {
  auto u = [&] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
  return std::sqrt(-2 * std::log(u())) * std::cos(2 * M_PI * u());
}

}  // namespace

Result<int64_t> WriteSyntheticRun(Store& store, const SyntheticOptions& o) {
  RunInfo info;
  info.scenario_name = "synthetic";
  info.scenario_text = "# synthetic run written by rfl::results::WriteSyntheticRun (constructed data)\n";
  info.scenario_hash = "synthetic";
  info.lab_version = "test";
  info.host = "synthetic";
  info.timing = o.timing;
  info.baseline = "base";
  info.repeat_min = o.repetitions;
  info.repeat_max = o.repetitions;
  info.variants = {{"base", Expect::kPass, {}, {}},
                   {"same", Expect::kPass, {}, {}},
                   {"slow", Expect::kPass, {"-Zfunction-return=thunk-extern"}, {{"MITIGATION_RETHUNK", "y"}}},
                   {"thunk", Expect::kBuildFailure, {"-Zfunction-return=thunk-extern"}, {}},
                   {"panicky", Expect::kPass, {"-Cpanic=abort"}, {}}};
  auto run = store.BeginRun(info);
  if (!run) return run;

  auto build = [&](std::string key, std::vector<std::string> variants, BuildOutcome outcome, int64_t text) {
    BuildRecord b;
    b.key = std::move(key);
    b.variants = std::move(variants);
    b.arch = "x86_64";
    b.toolchain = "rustc-1.85";
    b.kernel = "7.3";
    b.outcome = outcome;
    b.rustc_version = "rustc 1.85.0";
    b.clang_version = "clang 19.1.7";
    b.bindgen_version = "bindgen 0.71.1";
    b.duration_seconds = outcome == BuildOutcome::kFailed || outcome == BuildOutcome::kExpectedFailure ? 48 : 340;
    if (BuildSucceeded(outcome)) {
      b.sizes["vmlinux"] = {{"text", text}, {"data", 400000}, {"bss", 120000}};
      b.sizes["rust"] = {{"text", text / 10}, {"data", 9000}, {"bss", 100}};
      b.effective_flags = "-Copt-level=2 -Cpanic=abort";
    } else {
      b.failure_class = "link-error";
      b.failure_excerpt = "ld.lld: error: undefined symbol: __x86_return_thunk\n>>> referenced by core.o";
    }
    return b;
  };
  for (const auto& b : {build("base0000", {"base", "same"}, BuildOutcome::kBuilt, 2000000),
                        build("slow0000", {"slow"}, BuildOutcome::kBuilt, 2004096),
                        build("thunk000", {"thunk"}, BuildOutcome::kExpectedFailure, 0),
                        build("panic000", {"panicky"}, BuildOutcome::kCacheHit, 1998000)}) {
    if (auto r = store.RecordBuild(*run, b); !r) return std::unexpected(r.error());
  }

  std::mt19937_64 rng(o.seed);
  const bool noisy = o.timing == "wall";
  double clock = 1795000000;
  for (int rep = 0; rep < o.repetitions; ++rep) {
    // Interleaved like the planner does: rep r of every variant, then r + 1.
    for (const char* variant : {"base", "same", "slow", "thunk", "panicky"}) {
      std::string v = variant;
      BootRecord boot;
      boot.variant = v;
      boot.build_key = v == "slow" ? "slow0000" : v == "thunk" ? "thunk000" : v == "panicky" ? "panic000" : "base0000";
      boot.arch = "x86_64";
      boot.toolchain = "rustc-1.85";
      boot.kernel = "7.3";
      boot.repetition = rep;
      boot.accel = "tcg";
      boot.timing = o.timing;
      boot.started_unix = clock;
      clock += 2.5;
      boot.ended_unix = clock;
      boot.console_path = "consoles/" + v + "-" + std::to_string(rep) + ".log";
      if (v == "thunk") {
        boot.outcome = BootOutcome::kBuildFailed;
        if (auto r = store.RecordBoot(*run, boot); !r) return std::unexpected(r.error());
        continue;
      }
      if (v == "panicky") {
        boot.outcome = BootOutcome::kRustPanic;
        boot.evidence = "rust_kernel: panicked at rust/kernel/lib.rs:42:5:\nexplicit panic";
        for (int attempt = 0; attempt < 2; ++attempt) {
          boot.attempt = attempt;
          if (auto r = store.RecordBoot(*run, boot); !r) return std::unexpected(r.error());
        }
        continue;
      }
      auto noise = [&](double scale) { return noisy ? 1 + scale * Normal(rng) : 1.0; };
      const double lat = v == "slow" ? o.slow_factor : 1.0;
      boot.evidence = "Run /init as init process";
      boot.samples = {
          {"boot", "time_to_init_seconds", "s", 1.734 * noise(0.004), {}},
          {"binder", "latency_seconds", "s", 110e-6 * lat * noise(0.01), {{"payload", "0"}}},
          {"binder", "latency_seconds", "s", 118e-6 * lat * noise(0.01), {{"payload", "4096"}}},
          {"block", "iops", "IOPS", 250000 / lat * noise(0.01), {{"pattern", "randread"}}},
      };
      if (auto r = store.RecordBoot(*run, boot); !r) return std::unexpected(r.error());
    }
  }
  if (o.finish) {
    if (auto s = store.FinishRun(*run, RunStatus::kCompleted); !s) return std::unexpected(s.error());
  }
  return run;
}

}  // namespace rfl::results

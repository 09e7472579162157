#pragma once
// From stored runs to findings: the outcome matrix, per-metric deltas with a
// verdict, code-size deltas, and the CI gate. Reports (lab/report/) render a
// RunAnalysis; `run` uses NeedMoreRepetitions and Gate.
//
// Within a run, each variant is compared with the run's baseline variant in
// the same (arch, toolchain, kernel) cell, per (workload, metric, labels).
// Between two runs (CompareRuns), run A plays the baseline and run B the
// variant, matched by (arch, toolchain, kernel, variant, workload, metric,
// labels); an axis on which each run has exactly one value that differs
// (kernel 7.2 vs 7.3, toolchain rustc-1.85 vs rustc-1.96) is left out of the
// match, since it is what is being compared.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lab/results/parity.h"
#include "lab/results/records.h"
#include "lab/results/statistics.h"
#include "lab/results/test_cases.h"

namespace rfl::results {

// Which samples feed a comparison: only the final attempt of a passed boot.
struct MetricKey {
  std::string arch;
  std::string toolchain;
  std::string kernel;
  std::string workload;
  std::string metric;
  std::string unit;
  std::string labels;  // LabelsKey() text
  auto operator<=>(const MetricKey&) const = default;
  std::string Text() const;  // "x86_64/host/7.3 binder.latency_seconds{payload=0}"
};

struct MetricDelta {
  MetricKey key;
  std::string baseline_label;  // variant name, or "run 12: baseline" in a cross-run compare
  std::string variant_label;
  std::string variant;         // variant name (for grouping in reports)
  std::vector<double> baseline_values;
  std::vector<double> variant_values;
  SampleComparison stats;
  // Parity (results/parity.h): what the two sides set up differently, as
  // their attributes say; empty when equal; nullopt when a side recorded no
  // attributes (workloads without them, stores before schema 6).
  std::optional<std::vector<AttributeDifference>> setup_differences;
};

// How one workload went over a cell's boots (final attempts).
struct WorkloadTally {
  int passed = 0, failed = 0, skipped = 0;
  std::string reason;  // of the first failure or skip
};

// One cell of the outcome matrix: a variant on (arch, toolchain, kernel).
struct OutcomeCell {
  int64_t run_id = 0;
  std::string arch;
  std::string toolchain;
  std::string kernel;
  std::string variant;
  Expect expect = Expect::kPass;
  std::optional<BuildOutcome> build;  // nullopt: no build recorded
  std::string build_key;
  std::string failure_class;
  std::string failure_excerpt;
  int boots = 0;          // distinct (repetition) boots, final attempts
  int passed = 0;
  int retried = 0;        // repetitions that needed a second attempt
  std::map<std::string, int> outcomes;  // outcome name → count (final attempts)
  std::string first_failure_evidence;
  std::string rustc_version;  // of the build (`rustc -vV` first line)
  std::string kernel_version; // of the build ("7.3.4"); '' when not recorded
  std::map<std::string, WorkloadTally> workloads;  // by workload name
  double success_rate() const { return boots ? static_cast<double>(passed) / boots : 0.0; }
  // "passed", "build-failed", "expected-failure", "failed" (some boot failed), "not-run"
  std::string Status() const;
};

// Exact code-size difference of one ELF object section.
struct SizeDelta {
  std::string arch;
  std::string toolchain;
  std::string kernel;
  std::string variant;
  std::string object;   // "vmlinux", "rust", …
  std::string section;  // "text", "data", "bss", …
  int64_t baseline_bytes = 0;
  int64_t variant_bytes = 0;
  int64_t delta() const { return variant_bytes - baseline_bytes; }
};

// What fails a CI job (exit 1).
struct Findings {
  std::vector<std::string> regressions;               // metric key + reason
  std::vector<std::string> unexpected_build_failures;  // and builds that should have failed but did not
  // Final attempt failed (with the title of its kernel report, if one
  // decided it), or passed when expected to fail.
  std::vector<std::string> failed_boots;
  // A claimed rustc flag whose code check is not what the variant expects
  // (results::CodeCheckProblem).
  std::vector<std::string> code_checks;
  // A KUnit case that passed in every baseline boot and failed or crashed in
  // a variant boot (CaseChange::Text).
  std::vector<std::string> test_cases;
  // A known target modifier that rustc lets through in a mixed build
  // (results::AbiCheckProblem).
  std::vector<std::string> abi_checks;
  bool Any() const {
    return !regressions.empty() || !unexpected_build_failures.empty() || !failed_boots.empty() ||
           !code_checks.empty() || !test_cases.empty() || !abi_checks.empty();
  }
  std::vector<std::string> All() const;
};

// A flag whose code-check verdict differs between the runs of a compare,
// for the same cell and variant (the compiler or kernel the compare is
// about may differ): "x86_64/rustc-1.85→rustc-1.96/7.3 ibt:
// -Zcf-protection=branch effective (2171/2171) → partial (606/1796)". Shown,
// not a finding of its own: a claimed flag that is not what the variant
// expects is one already (CodeCheckProblem).
struct CodeCheckChange {
  std::string cell;  // CellText: "arch/toolchain/kernel variant"
  std::string flag;
  bool claimed = false;  // in run B
  std::string verdict_a, verdict_b;
  int64_t with_a = 0, checked_a = 0, with_b = 0, checked_b = 0;
  std::string Text() const;
};

struct RunAnalysis {
  std::vector<RunSummary> runs;  // one (report) or two (compare: A then B)
  std::string baseline;          // baseline variant (report) or "run <A>"
  VerdictThresholds thresholds;
  std::vector<OutcomeCell> outcomes;
  std::vector<MetricDelta> deltas;
  // Rust against C in the same boots (rnull against null_blk): per cell and
  // block metric, baseline null_blk, variant rnull; key.labels without
  // `device`. Shown with their parity; never a finding.
  std::vector<MetricDelta> pairs;
  std::vector<SizeDelta> sizes;
  // KUnit: every case per cell (of the last run; both runs in a compare), and
  // the cases whose statuses changed against the baseline.
  std::vector<CellCases> kunit;
  std::vector<CaseChange> case_changes;
  std::vector<CodeCheckChange> code_check_changes;  // compare only
  std::vector<BuildRecord> builds;  // of the (last) run, for KCIDB and JSON
  std::vector<BootRecord> boots;    // of the (last) run, samples included
  std::vector<AbiCheckRecord> abi_checks;  // of the (last) run
  Findings findings;
};

// Analyzes one run against its baseline variant.
RunAnalysis AnalyzeRun(const RunData& run);

// Compares run B against run A (A is the baseline). Findings contain only
// regressions of B relative to A plus B's failed boots and builds.
RunAnalysis CompareRuns(const RunData& a, const RunData& b);

// The last attempt of each (cell, variant, build, repetition), in boot
// order: the boots whose samples and test cases count.
std::vector<const BootRecord*> FinalAttempts(const RunData& run);

// The outcome cells of a run (one per variant × arch × toolchain × kernel).
std::vector<OutcomeCell> OutcomeMatrix(const RunData& run);

// One sentence per toolchain name that stands for different compilers in the
// two runs (`rustc -vV` first lines differ, e.g. a recipe that drifted with
// the archive): a comparison across them compares compilers, not kernels.
std::vector<std::string> ToolchainDrift(const RunData& a, const RunData& b);


// Adaptive repetitions (scenario `repeat: {min, max}`).
struct RepetitionAdvice {
  bool more = false;
  int completed = 0;          // repetitions every (cell, variant) has finished
  std::vector<std::string> inconclusive;  // metric keys still inconclusive
  std::string reason;
};
// Tells the orchestrator whether to boot one more repetition of every
// variant: yes while fewer than `min` repetitions are done; then yes while any
// verdict is inconclusive for a reason more samples can fix, up to `max`.
RepetitionAdvice NeedMoreRepetitions(const RunData& run, int min, int max);

}  // namespace rfl::results

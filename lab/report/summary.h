#pragma once
// What every renderer says first: how many comparisons reached each verdict,
// which metrics changed (largest effect first), and how to print a figure so
// a reader recognises it (µs, ops/s, KiB, integers without decimals).
//
// "Changed" is wider than the two change verdicts: a shift that is
// significant (p < alpha, the CI excludes 1) but whose CI lies inside the
// noise floor keeps its verdict `no-change` — the noise floor is the
// scenario's decision — yet is listed and marked (kInsideNoiseMark), so a
// +0.96 % shift with p = 0.004 cannot be mistaken for a true no-change.
// The same holds for a significant shift whose verdict is inconclusive (a CI
// straddling the noise floor, a metric without a known direction).
#include <string>
#include <string_view>
#include <vector>

#include "lab/results/comparison.h"

namespace rfl::report {

// Shown next to the verdict of a significant shift inside the noise floor.
inline constexpr std::string_view kInsideNoiseMark = "≈";

// p < alpha and the CI excludes 1, whatever the verdict.
bool Significant(const results::SampleComparison& s, const results::VerdictThresholds& t);
// Significant, but the CI lies inside 1 ± noise (verdict no-change).
bool SignificantInsideNoise(const results::SampleComparison& s, const results::VerdictThresholds& t);
// Regression, improvement, or any significant shift (inside the noise floor,
// a CI straddling it, a metric whose direction is unknown). Host-clock
// metrics under icount never are: their spread follows the host's load.
bool Changed(const results::MetricDelta& d, const results::VerdictThresholds& t, bool icount);
// Whether a run of the analysis used icount timing.
bool Icount(const results::RunAnalysis& a);

struct VerdictCounts {
  int regression = 0, improvement = 0, no_change = 0, inconclusive = 0;
  int inside_noise = 0;  // of no_change: significant inside the noise floor
  int total() const { return regression + improvement + no_change + inconclusive; }
};
VerdictCounts CountVerdicts(const results::RunAnalysis& a);
// "3 regression · 1 improvement · 40 no-change (6 ≈) · 12 inconclusive"
std::string VerdictCountsText(const VerdictCounts& c);

// The changed deltas, largest |ratio − 1| first (ties: metric order).
std::vector<const results::MetricDelta*> ChangedDeltas(const results::RunAnalysis& a);
// The others, in metric order.
std::vector<const results::MetricDelta*> OtherDeltas(const results::RunAnalysis& a);

// "binder.round_trip_p50 payload_bytes=4096", "block.iops block_size=4096
// null_blk randread": label values, with their key when they are numbers.
std::string MetricName(const results::MetricKey& k);
// "x86_64/rustc-1.96/7.3"
std::string CellName(const results::MetricKey& k);

// "+0.96%" (ratio − 1 in percent, sign always); "–" when not finite.
std::string PercentChange(double ratio);
// "[+0.95%, +0.97%]"; "–" without a CI.
std::string CiPercent(const results::SampleComparison& s);
// The spread of one side as the MAD in percent of the median: "0.12%".
std::string SpreadPercent(const results::Summary& s);
// The verdict, with kInsideNoiseMark when significant inside the noise floor.
std::string VerdictText(const results::MetricDelta& d, const results::VerdictThresholds& t);
// Parity of a comparison's two sides: "same", "not recorded", or "setups
// differ in …" (results::DescribeDifferences).
std::string SetupText(const results::MetricDelta& d);
// Whether any of these comparisons has sides that set up differently.
bool AnySetupDifference(const std::vector<const results::MetricDelta*>& deltas);

// A unit as a reader writes it: seconds → s, ops_per_second → ops/s,
// bytes → B, count → "" (a plain number).
std::string HumanUnit(std::string_view unit);

// Axis ticks: "nice" values (1, 2, 5 × 10^k) covering [lo, hi], each label
// distinct; integer steps only for integer metrics.
struct Tick {
  double value;
  std::string label;
};
std::vector<Tick> AxisTicks(double lo, double hi, std::string_view unit, bool integers, int target = 5);

}  // namespace rfl::report

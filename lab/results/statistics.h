#pragma once
// Statistics for A/B comparisons of benchmark samples (docs/statistics.md).
//
// Rank statistics, because boot and I/O timings are not normal: medians,
// the median absolute deviation, Mann-Whitney U, and a percentile bootstrap
// of the median ratio. Every random choice comes from a seeded generator whose
// output does not depend on the standard library, so the same samples and seed
// give the same interval on every machine. The Mann-Whitney U p-value follows
// scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="auto",
// use_continuity=True); unit tests compare against values scipy computed
// (scripts/stats_reference.py → tests/fixtures/stats/).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rfl::results {

// Fewer samples than this on either side: no verdict (two-sided
// Mann-Whitney cannot reach p < 0.05 with 3 per side).
inline constexpr size_t kMinSamplesForVerdict = 5;

// Median (mean of the two middle values for even n); NaN when empty.
double Median(std::span<const double> values);
// Median absolute deviation from the median, unscaled (scipy's
// median_abs_deviation with scale=1.0); NaN when empty.
double MedianAbsoluteDeviation(std::span<const double> values);

struct Summary {
  size_t n = 0;
  double median = 0;
  double mad = 0;
  double min = 0;
  double max = 0;
};
Summary Summarize(std::span<const double> values);

struct MannWhitney {
  enum class Method { kExact, kAsymptotic };
  double u1 = 0;       // U of the first sample (scipy's `statistic`)
  double p_value = 1;  // two-sided
  Method method = Method::kExact;
};
std::string_view MannWhitneyMethodName(MannWhitney::Method m);  // "exact" | "asymptotic"

// Two-sided Mann-Whitney U test, scipy's method="auto": the exact null
// distribution when there are no ties and at least one sample has ≤ 8
// values, otherwise the normal approximation with tie correction and a
// continuity correction. Both samples must be non-empty.
MannWhitney MannWhitneyU(std::span<const double> x, std::span<const double> y);

struct Interval {
  double lo = 0;
  double hi = 0;
};

// Percentile bootstrap interval of Median(variant) / Median(baseline):
// `resamples` independent resamples of each side (with replacement), the
// `level` central quantiles (linear interpolation) of the ratios. nullopt
// when a side is empty or a resampled baseline median is 0.
std::optional<Interval> BootstrapMedianRatioCi(std::span<const double> baseline,
                                               std::span<const double> variant, uint64_t seed,
                                               int resamples = 10000, double level = 0.95);

// Whether a smaller or a larger value of a metric is better.
enum class Direction { kLowerIsBetter, kHigherIsBetter, kUnknown };
std::string_view DirectionName(Direction d);  // "lower-is-better", "higher-is-better", "unknown"
// Decided from the metric name and unit by an explicit table (see .cpp and
// docs/statistics.md): latency, time, *_seconds, s/ms/us/ns, bytes → lower;
// iops, throughput, *_per_second, ops/s → higher; anything else unknown.
Direction MetricDirection(std::string_view metric, std::string_view unit);

// The direction of each unit the guest agent emits (agent::AllUnits), decided
// before any name rule: seconds and bytes lower, ops_per_second higher.
// `count` is deliberately directionless (kUnknown): a count of KUnit cases
// or of sample lines is checked as a fact, never turned into a ratio
// verdict. nullopt for a unit the agent does not emit.
std::optional<Direction> AgentUnitDirection(std::string_view unit);

enum class Verdict { kRegression, kImprovement, kNoChange, kInconclusive };
std::string_view VerdictName(Verdict v);  // "regression", "improvement", "no-change", "inconclusive"

struct VerdictThresholds {
  double noise = 0.01;  // ratios within 1 ± noise are no change
  double alpha = 0.05;
};

// The full comparison of one metric's baseline and variant samples.
struct SampleComparison {
  Summary baseline;
  Summary variant;
  double ratio = 0;              // median(variant) / median(baseline); NaN if baseline median is 0
  std::optional<Interval> ci;    // bootstrap 95 % CI of the ratio
  std::optional<MannWhitney> test;
  Direction direction = Direction::kUnknown;
  Verdict verdict = Verdict::kInconclusive;
  std::string reason;            // one line: why this verdict
  // Inconclusive for want of samples (too few, CI straddles the noise floor,
  // p ≥ alpha): more repetitions may settle it. False for a zero baseline
  // median or an unknown direction, which more boots cannot fix.
  bool more_samples_may_help = false;
};

// Verdict rules (docs/statistics.md):
//  - fewer than kMinSamplesForVerdict per side → inconclusive;
//  - CI inside [1 − noise, 1 + noise] → no-change (any effect is below the
//    noise floor), whatever p says;
//  - CI entirely above 1 + noise or below 1 − noise and p < alpha → a change,
//    a regression or an improvement by the metric's direction (unknown
//    direction → inconclusive, with the change stated in the reason);
//  - anything else → inconclusive (CI straddles the noise floor, or p ≥ alpha).
SampleComparison CompareSamples(std::span<const double> baseline, std::span<const double> variant,
                                Direction direction, VerdictThresholds thresholds, uint64_t seed);

// A stable 64-bit seed from a text key (FNV-1a), so every group of a report
// has its own reproducible bootstrap stream.
uint64_t SeedFromKey(std::string_view key);

}  // namespace rfl::results

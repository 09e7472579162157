#include "lab/results/statistics.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>

namespace rfl::results {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Median of `v`, reordering it (nth_element); v must be non-empty.
double MedianInPlace(std::vector<double>& v) {
  size_t n = v.size();
  size_t mid = n / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double upper = v[mid];
  if (n % 2 == 1) return upper;
  double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return lower + (upper - lower) / 2;
}

// Average ranks (1-based) of the concatenation of x and y, like
// scipy.stats.rankdata(method="average"); also returns sum(t^3 - t) over tie
// groups and whether any tie exists.
struct Ranks {
  std::vector<double> rank;  // in input order: x then y
  double tie_term = 0;
  bool ties = false;
};

Ranks RankAll(std::span<const double> x, std::span<const double> y) {
  std::vector<std::pair<double, size_t>> all;
  all.reserve(x.size() + y.size());
  for (size_t i = 0; i < x.size(); ++i) all.emplace_back(x[i], i);
  for (size_t i = 0; i < y.size(); ++i) all.emplace_back(y[i], x.size() + i);
  std::sort(all.begin(), all.end());
  Ranks r;
  r.rank.resize(all.size());
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j + 1 < all.size() && all[j + 1].first == all[i].first) ++j;
    double t = static_cast<double>(j - i + 1);
    double avg = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;
    for (size_t k = i; k <= j; ++k) r.rank[all[k].second] = avg;
    if (t > 1) {
      r.ties = true;
      r.tie_term += t * t * t - t;
    }
    i = j + 1;
  }
  return r;
}

// Number of arrangements giving each U in 0..m*n under the null: the
// coefficients of the Gaussian binomial [m+n choose m]_q, built as
// prod_{i=1..a} (1 - q^(b+i)) / (1 - q^i) with a = min(m, n). Every
// intermediate product is itself a Gaussian binomial, so values stay
// integers (exact in long double up to 2^64).
std::vector<long double> UDistributionCounts(size_t m, size_t n) {
  size_t a = std::min(m, n), b = std::max(m, n);
  std::vector<long double> c(a * b + 1, 0.0L);
  c[0] = 1.0L;
  for (size_t i = 1; i <= a; ++i) {
    size_t up = b + i;  // multiply by (1 - q^up), degree grows to i*b + …, kept within a*b
    for (size_t k = c.size(); k-- > up;) c[k] -= c[k - up];
    for (size_t k = i; k < c.size(); ++k) c[k] += c[k - i];  // divide by (1 - q^i)
  }
  return c;
}

// Lemire-style unbiased integer in [0, n) from a standard-specified engine,
// so resampling is identical across standard libraries.
size_t UniformIndex(std::mt19937_64& rng, size_t n) {
  const uint64_t range = n;
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % range;
  uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return static_cast<size_t>(x % range);
}

double Quantile(const std::vector<double>& sorted, double q) {
  double h = static_cast<double>(sorted.size() - 1) * q;
  size_t lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct DirectionRule {
  enum Where { kNameContains, kNameEndsWith, kUnitIs };
  Where where;
  std::string_view text;
  Direction direction;
};

// First match wins; higher-is-better rates come first because their names
// also mention time units ("transactions_per_second").
constexpr std::array<DirectionRule, 30> kDirectionRules{{
    {DirectionRule::kNameContains, "per_second", Direction::kHigherIsBetter},
    {DirectionRule::kNameContains, "per_sec", Direction::kHigherIsBetter},
    {DirectionRule::kNameContains, "iops", Direction::kHigherIsBetter},
    {DirectionRule::kNameContains, "throughput", Direction::kHigherIsBetter},
    {DirectionRule::kNameContains, "bandwidth", Direction::kHigherIsBetter},
    {DirectionRule::kNameContains, "ops_per", Direction::kHigherIsBetter},
    {DirectionRule::kUnitIs, "iops", Direction::kHigherIsBetter},
    {DirectionRule::kUnitIs, "ops/s", Direction::kHigherIsBetter},
    {DirectionRule::kUnitIs, "1/s", Direction::kHigherIsBetter},
    {DirectionRule::kUnitIs, "b/s", Direction::kHigherIsBetter},
    {DirectionRule::kUnitIs, "bytes/s", Direction::kHigherIsBetter},
    {DirectionRule::kUnitIs, "mib/s", Direction::kHigherIsBetter},
    {DirectionRule::kUnitIs, "transactions/s", Direction::kHigherIsBetter},
    {DirectionRule::kNameContains, "latency", Direction::kLowerIsBetter},
    {DirectionRule::kNameContains, "time", Direction::kLowerIsBetter},
    {DirectionRule::kNameContains, "duration", Direction::kLowerIsBetter},
    {DirectionRule::kNameEndsWith, "_seconds", Direction::kLowerIsBetter},
    {DirectionRule::kNameEndsWith, "_bytes", Direction::kLowerIsBetter},
    {DirectionRule::kNameEndsWith, "_size", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "s", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "seconds", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "ms", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "us", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "µs", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "ns", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "bytes", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "b", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "cycles", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "instructions", Direction::kLowerIsBetter},
    {DirectionRule::kUnitIs, "kib", Direction::kLowerIsBetter},
}};

}  // namespace

double Median(std::span<const double> values) {
  if (values.empty()) return kNaN;
  std::vector<double> v(values.begin(), values.end());
  return MedianInPlace(v);
}

double MedianAbsoluteDeviation(std::span<const double> values) {
  if (values.empty()) return kNaN;
  double m = Median(values);
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double v : values) dev.push_back(std::fabs(v - m));
  return MedianInPlace(dev);
}

Summary Summarize(std::span<const double> values) {
  Summary s;
  s.n = values.size();
  if (values.empty()) {
    s.median = s.mad = s.min = s.max = kNaN;
    return s;
  }
  s.median = Median(values);
  s.mad = MedianAbsoluteDeviation(values);
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

std::string_view MannWhitneyMethodName(MannWhitney::Method m) {
  return m == MannWhitney::Method::kExact ? "exact" : "asymptotic";
}

MannWhitney MannWhitneyU(std::span<const double> x, std::span<const double> y) {
  MannWhitney out;
  const size_t n1 = x.size(), n2 = y.size();
  if (n1 == 0 || n2 == 0) return out;
  Ranks ranks = RankAll(x, y);
  double r1 = 0;
  for (size_t i = 0; i < n1; ++i) r1 += ranks.rank[i];
  const double dn1 = static_cast<double>(n1), dn2 = static_cast<double>(n2);
  out.u1 = r1 - dn1 * (dn1 + 1) / 2;
  const double u2 = dn1 * dn2 - out.u1;
  const double u = std::max(out.u1, u2);  // two-sided: the larger U, SF doubled

  const bool exact = !(n1 > 8 && n2 > 8) && !ranks.ties;
  double p;
  if (exact) {
    out.method = MannWhitney::Method::kExact;
    // P(U' >= u) = CDF(m*n - u) by symmetry, mass at u included.
    auto counts = UDistributionCounts(n1, n2);
    long double total = 0, tail = 0;
    const auto k_max = static_cast<size_t>(std::llround(dn1 * dn2 - u));
    for (size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (k <= k_max) tail += counts[k];
    }
    p = static_cast<double>(2 * tail / total);
  } else {
    out.method = MannWhitney::Method::kAsymptotic;
    const double mu = dn1 * dn2 / 2;
    const double n = dn1 + dn2;
    const double var = dn1 * dn2 / 12 * ((n + 1) - ranks.tie_term / (n * (n - 1)));
    const double numerator = u - mu - 0.5;  // continuity correction
    if (!(var > 0)) {
      p = 1;  // every value tied: z = -inf, no evidence at all
    } else {
      const double z = numerator / std::sqrt(var);
      p = std::erfc(z / std::sqrt(2.0));  // 2 * normal SF(z)
    }
  }
  out.p_value = std::clamp(p, 0.0, 1.0);
  return out;
}

std::optional<Interval> BootstrapMedianRatioCi(std::span<const double> baseline, std::span<const double> variant,
                                               uint64_t seed, int resamples, double level) {
  if (baseline.empty() || variant.empty() || resamples < 1) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::vector<double> ratios;
  ratios.reserve(static_cast<size_t>(resamples));
  std::vector<double> b(baseline.size()), v(variant.size());
  for (int i = 0; i < resamples; ++i) {
    for (auto& e : b) e = baseline[UniformIndex(rng, baseline.size())];
    for (auto& e : v) e = variant[UniformIndex(rng, variant.size())];
    double mb = MedianInPlace(b);
    if (mb == 0) return std::nullopt;
    ratios.push_back(MedianInPlace(v) / mb);
  }
  std::sort(ratios.begin(), ratios.end());
  const double tail = (1 - level) / 2;
  return Interval{Quantile(ratios, tail), Quantile(ratios, 1 - tail)};
}

std::string_view DirectionName(Direction d) {
  switch (d) {
    case Direction::kLowerIsBetter: return "lower-is-better";
    case Direction::kHigherIsBetter: return "higher-is-better";
    case Direction::kUnknown: break;
  }
  return "unknown";
}

std::optional<Direction> AgentUnitDirection(std::string_view unit) {
  if (unit == "seconds" || unit == "bytes") return Direction::kLowerIsBetter;
  if (unit == "ops_per_second") return Direction::kHigherIsBetter;
  if (unit == "count") return Direction::kUnknown;
  return std::nullopt;
}

Direction MetricDirection(std::string_view metric, std::string_view unit) {
  const std::string name = Lower(metric), u = Lower(unit);
  if (auto d = AgentUnitDirection(u); d && *d != Direction::kUnknown) return *d;
  for (const auto& rule : kDirectionRules) {
    bool match = false;
    switch (rule.where) {
      case DirectionRule::kNameContains: match = name.find(rule.text) != std::string::npos; break;
      case DirectionRule::kNameEndsWith: match = name.ends_with(rule.text); break;
      case DirectionRule::kUnitIs: match = u == rule.text; break;
    }
    if (match) return rule.direction;
  }
  return Direction::kUnknown;
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kRegression: return "regression";
    case Verdict::kImprovement: return "improvement";
    case Verdict::kNoChange: return "no-change";
    case Verdict::kInconclusive: break;
  }
  return "inconclusive";
}

SampleComparison CompareSamples(std::span<const double> baseline, std::span<const double> variant,
                                Direction direction, VerdictThresholds thresholds, uint64_t seed) {
  SampleComparison c;
  c.baseline = Summarize(baseline);
  c.variant = Summarize(variant);
  c.direction = direction;
  c.ratio = (baseline.empty() || variant.empty() || c.baseline.median == 0) ? kNaN
                                                                            : c.variant.median / c.baseline.median;
  if (!baseline.empty() && !variant.empty()) {
    c.test = MannWhitneyU(baseline, variant);
    c.ci = BootstrapMedianRatioCi(baseline, variant, seed);
  }
  c.verdict = Verdict::kInconclusive;
  if (baseline.size() < kMinSamplesForVerdict || variant.size() < kMinSamplesForVerdict) {
    c.reason = fmt::format("fewer than {} samples per side (baseline {}, variant {})", kMinSamplesForVerdict,
                           baseline.size(), variant.size());
    c.more_samples_may_help = true;
    return c;
  }
  if (std::isnan(c.ratio) || !c.ci) {
    c.reason = "baseline median is 0: no ratio";
    return c;
  }
  const double lo_band = 1 - thresholds.noise, hi_band = 1 + thresholds.noise;
  const Interval ci = *c.ci;
  const double p = c.test->p_value;
  if (ci.lo >= lo_band && ci.hi <= hi_band) {
    c.verdict = Verdict::kNoChange;
    c.reason = fmt::format("95% CI [{:.4f}, {:.4f}] within the noise floor 1 ± {:g}", ci.lo, ci.hi, thresholds.noise);
    return c;
  }
  const bool up = ci.lo > hi_band, down = ci.hi < lo_band;
  if ((up || down) && p < thresholds.alpha) {
    const double pct = (c.ratio - 1) * 100;
    if (direction == Direction::kUnknown) {
      c.reason = fmt::format("changed by {:+.2f}% (p = {:.3g}) but the direction of this metric is unknown", pct, p);
      return c;
    }
    const bool worse = (direction == Direction::kLowerIsBetter) == up;
    c.verdict = worse ? Verdict::kRegression : Verdict::kImprovement;
    c.reason = fmt::format("{:+.2f}%, 95% CI [{:.4f}, {:.4f}] outside 1 ± {:g}, p = {:.3g} < {:g}", pct, ci.lo, ci.hi,
                           thresholds.noise, p, thresholds.alpha);
    return c;
  }
  c.more_samples_may_help = true;
  if (up || down) {
    c.reason = fmt::format("CI [{:.4f}, {:.4f}] outside the noise floor but p = {:.3g} ≥ {:g}", ci.lo, ci.hi, p,
                           thresholds.alpha);
  } else {
    c.reason = fmt::format("CI [{:.4f}, {:.4f}] straddles the noise floor 1 ± {:g} (p = {:.3g})", ci.lo, ci.hi,
                           thresholds.noise, p);
  }
  return c;
}

uint64_t SeedFromKey(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace rfl::results

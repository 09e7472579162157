#include "lab/report/summary.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lab/report/report.h"
#include "lab/results/store.h"

namespace rfl::report {
namespace {

using namespace rfl::results;

bool Integral(double v) { return std::isfinite(v) && std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, std::fabs(v)); }

// The factor and suffix that show values of magnitude `m` in `unit`.
struct Scale {
  double factor = 1;
  std::string suffix;  // with its leading space, or empty
};

bool IsSeconds(std::string_view u) { return u == "s" || u == "seconds"; }
bool IsRate(std::string_view u) { return u == "ops_per_second" || u == "ops/s"; }
bool IsBytes(std::string_view u) { return u == "bytes" || u == "B"; }
bool IsCount(std::string_view u) { return u == "count"; }

Scale ScaleFor(double m, std::string_view unit) {
  m = std::fabs(m);
  if (IsSeconds(unit)) {
    if (m == 0) return {1, " s"};
    if (m < 1e-6) return {1e9, " ns"};
    if (m < 1e-3) return {1e6, " µs"};
    if (m < 1) return {1e3, " ms"};
    return {1, " s"};
  }
  if (IsRate(unit)) {
    if (m >= 1e6) return {1e-6, " M ops/s"};
    if (m >= 1e4) return {1e-3, " k ops/s"};
    return {1, " ops/s"};
  }
  if (IsBytes(unit)) {
    if (m >= 1024.0 * 1024 * 1024) return {1.0 / (1024.0 * 1024 * 1024), " GiB"};
    if (m >= 1024.0 * 1024) return {1.0 / (1024.0 * 1024), " MiB"};
    if (m >= 1024) return {1.0 / 1024, " KiB"};
    return {1, " B"};
  }
  if (IsCount(unit) || unit.empty()) return {1, ""};
  return {1, " " + std::string(unit)};
}

// Seconds in other units of time, as the agent never sends but stores may hold.
double ToBase(double v, std::string_view& unit) {
  if (unit == "ms") return unit = "s", v * 1e-3;
  if (unit == "us" || unit == "µs") return unit = "s", v * 1e-6;
  if (unit == "ns") return unit = "s", v * 1e-9;
  return v;
}

double Effect(const MetricDelta* d) {
  return std::isfinite(d->stats.ratio) ? std::fabs(d->stats.ratio - 1) : 0.0;
}

}  // namespace

bool Significant(const SampleComparison& s, const VerdictThresholds& t) {
  return s.test && s.ci && s.test->p_value < t.alpha && (s.ci->lo > 1 || s.ci->hi < 1);
}

bool SignificantInsideNoise(const SampleComparison& s, const VerdictThresholds& t) {
  return s.verdict == Verdict::kNoChange && Significant(s, t);
}

bool Changed(const MetricDelta& d, const VerdictThresholds& t, bool icount) {
  const auto& s = d.stats;
  if (s.verdict == Verdict::kRegression || s.verdict == Verdict::kImprovement) return true;
  // As results::AnalyzeRun rules: under icount the host's clock follows the
  // host's load, so a shift there says nothing about the kernel.
  if (icount && d.key.metric.starts_with("host_")) return false;
  return Significant(s, t);
}

bool Icount(const RunAnalysis& a) {
  return std::any_of(a.runs.begin(), a.runs.end(), [](const RunSummary& r) { return r.info.timing == "icount"; });
}

VerdictCounts CountVerdicts(const RunAnalysis& a) {
  VerdictCounts c;
  for (const auto& d : a.deltas) {
    switch (d.stats.verdict) {
      case Verdict::kRegression: ++c.regression; break;
      case Verdict::kImprovement: ++c.improvement; break;
      case Verdict::kNoChange:
        ++c.no_change;
        if (SignificantInsideNoise(d.stats, a.thresholds)) ++c.inside_noise;
        break;
      case Verdict::kInconclusive: ++c.inconclusive; break;
    }
  }
  return c;
}

std::string VerdictCountsText(const VerdictCounts& c) {
  std::string no_change = fmt::format("{} no-change", c.no_change);
  if (c.inside_noise) no_change += fmt::format(" ({} {} significant inside the noise floor)", c.inside_noise, kInsideNoiseMark);
  return fmt::format("{} regression · {} improvement · {} · {} inconclusive", c.regression, c.improvement, no_change,
                     c.inconclusive);
}

std::vector<const MetricDelta*> ChangedDeltas(const RunAnalysis& a) {
  std::vector<const MetricDelta*> out;
  for (const auto& d : a.deltas) {
    if (Changed(d, a.thresholds, Icount(a))) out.push_back(&d);
  }
  std::stable_sort(out.begin(), out.end(), [](const MetricDelta* x, const MetricDelta* y) { return Effect(x) > Effect(y); });
  return out;
}

std::vector<const MetricDelta*> OtherDeltas(const RunAnalysis& a) {
  std::vector<const MetricDelta*> out;
  for (const auto& d : a.deltas) {
    if (!Changed(d, a.thresholds, Icount(a))) out.push_back(&d);
  }
  return out;
}

std::string MetricName(const MetricKey& k) {
  std::string out = k.workload + "." + k.metric;
  // A word (null_blk, randread) names itself; a number needs its key.
  for (const auto& [key, value] : results::LabelsFromKey(k.labels)) {
    bool number = !value.empty() && value.find_first_not_of("0123456789.-") == std::string::npos;
    out += " " + (number ? key + "=" + value : value);
  }
  return out;
}

std::string CellName(const MetricKey& k) { return fmt::format("{}/{}/{}", k.arch, k.toolchain, k.kernel); }

std::string PercentChange(double ratio) {
  if (!std::isfinite(ratio)) return "–";
  double pct = (ratio - 1) * 100;
  if (pct == 0) return "0.00%";
  // Small shifts keep a third decimal, so +0.004 % does not read as 0.
  return std::fabs(pct) < 0.1 ? fmt::format("{:+.3f}%", pct) : fmt::format("{:+.2f}%", pct);
}

std::string CiPercent(const SampleComparison& s) {
  if (!s.ci) return "–";
  return fmt::format("[{}, {}]", PercentChange(s.ci->lo), PercentChange(s.ci->hi));
}

std::string SpreadPercent(const Summary& s) {
  if (s.n == 0 || !std::isfinite(s.mad) || !std::isfinite(s.median) || s.median == 0) return "–";
  return fmt::format("{:.2f}%", 100 * s.mad / std::fabs(s.median));
}

std::string VerdictText(const MetricDelta& d, const VerdictThresholds& t) {
  std::string v(VerdictName(d.stats.verdict));
  if (SignificantInsideNoise(d.stats, t)) v += " " + std::string(kInsideNoiseMark);
  return v;
}

std::string HumanUnit(std::string_view unit) {
  if (IsSeconds(unit)) return "s";
  if (IsRate(unit)) return "ops/s";
  if (IsBytes(unit)) return "B";
  if (IsCount(unit)) return "";
  return std::string(unit);
}

std::string FormatValue(double value, std::string_view unit) {
  if (!std::isfinite(value)) return "–";
  value = ToBase(value, unit);
  if ((IsCount(unit) || IsBytes(unit)) && Integral(value) && std::fabs(value) < 1024) {
    return fmt::format("{:.0f}{}", value, IsBytes(unit) ? " B" : "");
  }
  if (!IsSeconds(unit) && !IsRate(unit) && !IsBytes(unit) && !IsCount(unit)) {
    return unit.empty() ? fmt::format("{:.6g}", value) : fmt::format("{:.6g} {}", value, unit);
  }
  Scale s = ScaleFor(value, unit);
  return fmt::format("{:.4g}{}", value * s.factor, s.suffix);
}

std::vector<Tick> AxisTicks(double lo, double hi, std::string_view unit, bool integers, int target) {
  std::vector<Tick> out;
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi <= lo || target < 2) return out;
  const double conv = ToBase(1.0, unit);  // the axis is in the values' own unit
  double v0 = lo * conv;
  double v1 = hi * conv;
  // Nice steps (1, 2, 5 × 10^k): the smallest one giving at most `target`
  // ticks, or a finer one until at least two ticks fall inside the range.
  const double raw = (v1 - v0) / (target - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const std::vector<double> steps = {10 * mag, 5 * mag, 2 * mag, mag, mag / 2, mag / 5, mag / 10};
  auto ticks_with = [&](double st) {
    return static_cast<int>(std::floor(v1 / st + 1e-9) - std::ceil(v0 / st - 1e-9)) + 1;
  };
  size_t i = 0;
  while (i + 1 < steps.size() && steps[i + 1] >= raw * (1 - 1e-9)) ++i;
  double step = steps.back();
  for (; i < steps.size(); ++i) {
    double candidate = integers ? std::max(1.0, std::ceil(steps[i])) : steps[i];
    if (ticks_with(candidate) >= 2 || (integers && candidate == 1.0)) {
      step = candidate;
      break;
    }
  }
  Scale s = ScaleFor(std::max(std::fabs(v0), std::fabs(v1)), unit);
  double scaled_step = step * s.factor;
  int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(scaled_step) - 1e-9)));
  if (integers && s.factor == 1) decimals = 0;
  const double first = std::ceil(v0 / step - 1e-9) * step;
  for (int k = 0; first + k * step <= v1 + step * 1e-9; ++k) {
    double t = first + k * step;
    double shown = t * s.factor;
    if (std::fabs(shown) < scaled_step * 1e-9) shown = 0;  // no "-0"
    std::string label = fmt::format("{:.{}f}{}", shown, decimals, s.suffix);
    if (!out.empty() && out.back().label == label) continue;
    out.push_back({t / conv, std::move(label)});
    if (out.size() > 50) break;
  }
  return out;
}

std::string SetupText(const results::MetricDelta& d) {
  if (!d.setup_differences) return "not recorded";
  if (d.setup_differences->empty()) return "same";
  return results::DescribeDifferences(*d.setup_differences);
}

bool AnySetupDifference(const std::vector<const results::MetricDelta*>& deltas) {
  return std::any_of(deltas.begin(), deltas.end(), [](const results::MetricDelta* d) {
    return d->setup_differences && !d->setup_differences->empty();
  });
}

}  // namespace rfl::report

#include "images/agent/percentile.h"

#include <algorithm>
#include <cmath>

namespace rfl::agent {

double PercentileSorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

Summary Summarize(std::vector<double>& values) {
  Summary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = values.size();
  s.min = values.front();
  s.max = values.back();
  // Kahan-free mean is fine here: at most millions of microsecond values.
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  s.p50 = PercentileSorted(values, 0.50);
  s.p90 = PercentileSorted(values, 0.90);
  s.p99 = PercentileSorted(values, 0.99);
  return s;
}

}  // namespace rfl::agent

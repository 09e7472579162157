#pragma once
// Latency summaries for the guest workloads (binder, block). Percentiles use
// linear interpolation between closest ranks (Hyndman & Fan type 7, numpy's
// default), so p50 of an even-sized set is the mean of the middle two.
#include <cstddef>
#include <span>
#include <vector>

namespace rfl::agent {

struct Summary {
  size_t count = 0;
  double min = 0, max = 0, mean = 0;
  double p50 = 0, p90 = 0, p99 = 0;
};

// q in [0, 1] over an ascending-sorted, non-empty span.
double PercentileSorted(std::span<const double> sorted, double q);

// Sorts `values` in place and summarizes them; all zero for an empty set.
Summary Summarize(std::vector<double>& values);

}  // namespace rfl::agent

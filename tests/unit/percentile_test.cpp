// Percentiles as numpy.percentile (linear interpolation) computes them.
#include "images/agent/percentile.h"

#include <gtest/gtest.h>

namespace rfl::agent {
namespace {

TEST(Percentile, InterpolatesBetweenClosestRanks) {
  std::vector<double> v{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(PercentileSorted(v, 0.5), 2.5);   // numpy: 2.5
  EXPECT_NEAR(PercentileSorted(v, 0.9), 3.7, 1e-12);   // numpy: 3.7
  EXPECT_DOUBLE_EQ(PercentileSorted(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(PercentileSorted(v, 1.0), 4.0);
}

TEST(Percentile, SummaryOfOneToHundred) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);  // unsorted on purpose
  Summary s = Summarize(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.p50, 50.5);   // numpy.percentile(range(1,101), 50)
  EXPECT_NEAR(s.p90, 90.1, 1e-9);  // … 90
  EXPECT_NEAR(s.p99, 99.01, 1e-9);  // … 99
}

TEST(Percentile, SingleValueAndEmpty) {
  std::vector<double> one{7e-6};
  Summary s = Summarize(one);
  EXPECT_DOUBLE_EQ(s.p50, 7e-6);
  EXPECT_DOUBLE_EQ(s.p99, 7e-6);
  std::vector<double> none;
  Summary e = Summarize(none);
  EXPECT_EQ(e.count, 0u);
  EXPECT_DOUBLE_EQ(e.p50, 0);
}

TEST(Percentile, TailIsNotHiddenByTheMedian) {
  std::vector<double> v(1000, 100e-6);
  for (int i = 0; i < 20; ++i) v[static_cast<size_t>(i)] = 5e-3;  // 2 % slow outliers
  Summary s = Summarize(v);
  EXPECT_DOUBLE_EQ(s.p50, 100e-6);
  EXPECT_DOUBLE_EQ(s.p99, 5e-3);
  EXPECT_GT(s.mean, s.p50);
}

}  // namespace
}  // namespace rfl::agent

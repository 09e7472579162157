// Statistics against reference values computed by SciPy
// (scripts/stats_reference.py → tests/fixtures/stats/*.json), plus the
// properties the lab relies on: reproducible bootstrap, zero-width intervals
// in icount mode, verdict rules. Sample values other than the fixtures are
// constructed in the tests.
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lab/results/statistics.h"

namespace rfl::results {
namespace {

nlohmann::json LoadFixture(const std::string& name) {
  std::ifstream in(std::string(RFL_LAB_FIXTURES_DIR) + "/stats/" + name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

std::vector<double> Values(const nlohmann::json& j) { return j.get<std::vector<double>>(); }

TEST(MannWhitney, MatchesScipyOnEveryReferenceCase) {
  auto fixture = LoadFixture("mannwhitneyu.json");
  ASSERT_GE(fixture["cases"].size(), 15u);
  for (const auto& c : fixture["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto x = Values(c["x"]), y = Values(c["y"]);
    MannWhitney r = MannWhitneyU(x, y);
    EXPECT_DOUBLE_EQ(r.u1, c["u1"].get<double>());
    EXPECT_NEAR(r.p_value, c["p"].get<double>(), 1e-12 + 1e-9 * c["p"].get<double>());
    EXPECT_EQ(MannWhitneyMethodName(r.method), c["method"].get<std::string>());
  }
}

TEST(MannWhitney, ExactIsSymmetricInItsArguments) {
  std::vector<double> x{1, 4, 6, 9}, y{2, 3, 5, 7, 8, 10};
  auto a = MannWhitneyU(x, y), b = MannWhitneyU(y, x);
  EXPECT_DOUBLE_EQ(a.p_value, b.p_value);
  EXPECT_DOUBLE_EQ(a.u1 + b.u1, 24.0);
}

TEST(MannWhitney, AllValuesTiedGivesPOne) {
  std::vector<double> x(12, 3.0), y(15, 3.0);
  auto r = MannWhitneyU(x, y);
  EXPECT_EQ(r.method, MannWhitney::Method::kAsymptotic);
  EXPECT_DOUBLE_EQ(r.p_value, 1.0);
}

TEST(Summary, MatchesNumpyMedianAndScipyMad) {
  auto fixture = LoadFixture("summary.json");
  for (const auto& c : fixture["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto v = Values(c["values"]);
    Summary s = Summarize(v);
    EXPECT_EQ(s.n, v.size());
    EXPECT_DOUBLE_EQ(s.median, c["median"].get<double>());
    EXPECT_DOUBLE_EQ(s.mad, c["mad"].get<double>());
    EXPECT_DOUBLE_EQ(s.min, c["min"].get<double>());
    EXPECT_DOUBLE_EQ(s.max, c["max"].get<double>());
  }
}

TEST(Summary, EmptyIsNaN) {
  Summary s = Summarize({});
  EXPECT_EQ(s.n, 0u);
  EXPECT_TRUE(std::isnan(s.median));
}

TEST(Bootstrap, AgreesWithScipyPercentileIntervalWithinResamplingNoise) {
  auto fixture = LoadFixture("bootstrap.json");
  for (const auto& c : fixture["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto base = Values(c["baseline"]), var = Values(c["variant"]);
    auto ci = BootstrapMedianRatioCi(base, var, 42, 20000);
    ASSERT_TRUE(ci.has_value());
    const double ratio = c["ratio"].get<double>();
    const double width = c["hi"].get<double>() - c["lo"].get<double>();
    // Two independent bootstrap streams: endpoints agree to a fraction of
    // the interval width (exactly when the width is zero).
    const double tol = 0.1 * width + 1e-12;
    EXPECT_NEAR(ci->lo, c["lo"].get<double>(), tol);
    EXPECT_NEAR(ci->hi, c["hi"].get<double>(), tol);
    EXPECT_LE(ci->lo, ratio);
    EXPECT_GE(ci->hi, ratio);
  }
}

TEST(Bootstrap, SameSeedSameIntervalOtherSeedOtherInterval) {
  std::vector<double> base, var;
  for (int i = 0; i < 15; ++i) {
    base.push_back(10 + 0.37 * i - 0.021 * i * i);
    var.push_back(10.4 + 0.29 * i - 0.013 * i * i);
  }
  // Few resamples: the interpolated quantiles move with the stream.
  auto a = BootstrapMedianRatioCi(base, var, 7, 200);
  auto b = BootstrapMedianRatioCi(base, var, 7, 200);
  auto c = BootstrapMedianRatioCi(base, var, 8, 200);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->lo, b->lo);
  EXPECT_EQ(a->hi, b->hi);
  EXPECT_TRUE(a->lo != c->lo || a->hi != c->hi);
}

TEST(Bootstrap, IdenticalConstantSamplesGiveZeroWidthIntervalAtOne) {
  std::vector<double> v(8, 0.00123);
  auto ci = BootstrapMedianRatioCi(v, v, 1);
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->lo, 1.0);
  EXPECT_EQ(ci->hi, 1.0);
}

TEST(Bootstrap, SingleSamplePerSideIsTheRatioItself) {
  std::vector<double> b{2.0}, v{3.0};
  auto ci = BootstrapMedianRatioCi(b, v, 1);
  ASSERT_TRUE(ci);
  EXPECT_DOUBLE_EQ(ci->lo, 1.5);
  EXPECT_DOUBLE_EQ(ci->hi, 1.5);
}

TEST(Bootstrap, ZeroBaselineMedianHasNoInterval) {
  std::vector<double> b{0, 0, 0}, v{1, 2, 3};
  EXPECT_FALSE(BootstrapMedianRatioCi(b, v, 1).has_value());
}

TEST(Direction, ExplicitTableDecidesFromNameAndUnit) {
  EXPECT_EQ(MetricDirection("latency_p50", "s"), Direction::kLowerIsBetter);
  EXPECT_EQ(MetricDirection("time_to_init_seconds", ""), Direction::kLowerIsBetter);
  EXPECT_EQ(MetricDirection("transactions_per_second", "1/s"), Direction::kHigherIsBetter);
  EXPECT_EQ(MetricDirection("read_iops", ""), Direction::kHigherIsBetter);
  EXPECT_EQ(MetricDirection("whatever", "IOPS"), Direction::kHigherIsBetter);
  EXPECT_EQ(MetricDirection("throughput", "MiB/s"), Direction::kHigherIsBetter);
  EXPECT_EQ(MetricDirection("module_load", "ns"), Direction::kLowerIsBetter);
  EXPECT_EQ(MetricDirection("tests_passed", "count"), Direction::kUnknown);
}

constexpr VerdictThresholds kDefault{0.01, 0.05};

TEST(Verdict, AaIdenticalSamplesAreNoChange) {
  // icount mode: identical inputs give identical numbers.
  std::vector<double> v{1.734, 1.734, 1.734, 1.734, 1.734, 1.734};
  auto c = CompareSamples(v, v, Direction::kLowerIsBetter, kDefault, 3);
  EXPECT_EQ(c.verdict, Verdict::kNoChange) << c.reason;
  EXPECT_DOUBLE_EQ(c.ratio, 1.0);
  ASSERT_TRUE(c.ci);
  EXPECT_EQ(c.ci->lo, c.ci->hi);
}

TEST(Verdict, AaSameNoisySetIsNotAChange) {
  std::vector<double> v{100, 101, 99.5, 100.2, 100.4, 99.8, 100.1, 100.3, 99.9, 100.0};
  auto c = CompareSamples(v, v, Direction::kLowerIsBetter, kDefault, 3);
  EXPECT_EQ(c.verdict, Verdict::kNoChange) << c.reason;
}

TEST(Verdict, SlowerLatencyIsARegression) {
  std::vector<double> base{100, 101, 99, 100.5, 99.5, 100.2, 99.8, 100.1};
  std::vector<double> var;
  for (double v : base) var.push_back(v * 1.05);
  auto c = CompareSamples(base, var, Direction::kLowerIsBetter, kDefault, 3);
  EXPECT_EQ(c.verdict, Verdict::kRegression) << c.reason;
  EXPECT_NEAR(c.ratio, 1.05, 1e-9);
}

TEST(Verdict, HigherIopsIsAnImprovementAndLowerIsARegression) {
  std::vector<double> base{1000, 1010, 990, 1005, 995, 1002};
  std::vector<double> up, down;
  for (double v : base) {
    up.push_back(v * 1.1);
    down.push_back(v * 0.9);
  }
  EXPECT_EQ(CompareSamples(base, up, Direction::kHigherIsBetter, kDefault, 1).verdict, Verdict::kImprovement);
  EXPECT_EQ(CompareSamples(base, down, Direction::kHigherIsBetter, kDefault, 1).verdict, Verdict::kRegression);
  EXPECT_EQ(CompareSamples(base, down, Direction::kLowerIsBetter, kDefault, 1).verdict, Verdict::kImprovement);
}

TEST(Verdict, FewerThanFiveSamplesIsInconclusiveWithReason) {
  std::vector<double> base{1, 1, 1, 1}, var{2, 2, 2, 2};
  auto c = CompareSamples(base, var, Direction::kLowerIsBetter, kDefault, 1);
  EXPECT_EQ(c.verdict, Verdict::kInconclusive);
  EXPECT_NE(c.reason.find("fewer than 5"), std::string::npos) << c.reason;
  EXPECT_TRUE(c.more_samples_may_help);
}

TEST(Verdict, EffectBelowNoiseFloorIsNoChangeEvenWhenSignificant) {
  std::vector<double> base(10, 100.0), var(10, 100.5);  // +0.5 %, zero spread
  auto c = CompareSamples(base, var, Direction::kLowerIsBetter, kDefault, 1);
  EXPECT_LT(c.test->p_value, 0.05);
  EXPECT_EQ(c.verdict, Verdict::kNoChange) << c.reason;
}

TEST(Verdict, WideOverlapIsInconclusive) {
  std::vector<double> base{80, 120, 95, 105, 110, 90, 100}, var{85, 125, 97, 108, 112, 92, 103};
  auto c = CompareSamples(base, var, Direction::kLowerIsBetter, kDefault, 1);
  EXPECT_EQ(c.verdict, Verdict::kInconclusive) << c.reason;
  EXPECT_TRUE(c.more_samples_may_help);
}

TEST(Verdict, UnknownDirectionNeverGates) {
  std::vector<double> base(6, 10.0), var(6, 20.0);
  auto c = CompareSamples(base, var, Direction::kUnknown, kDefault, 1);
  EXPECT_EQ(c.verdict, Verdict::kInconclusive);
  EXPECT_NE(c.reason.find("direction"), std::string::npos);
  EXPECT_FALSE(c.more_samples_may_help);
}

TEST(Verdict, ZeroBaselineMedianIsInconclusive) {
  std::vector<double> base(6, 0.0), var(6, 1.0);
  auto c = CompareSamples(base, var, Direction::kLowerIsBetter, kDefault, 1);
  EXPECT_EQ(c.verdict, Verdict::kInconclusive);
  EXPECT_TRUE(std::isnan(c.ratio));
}

}  // namespace
}  // namespace rfl::results

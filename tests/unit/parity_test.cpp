// Parity (lab/results/parity.h): comparisons say when their two sides set up
// different things, and rnull is compared with null_blk in the same boots.
#include "lab/results/parity.h"

#include <gtest/gtest.h>

#include "lab/results/comparison.h"
#include "lab/results/store.h"

namespace rfl::results {
namespace {

using Attrs = std::map<std::string, std::string>;

const Attrs kRnull = {{"configfs/blocksize", "4096"}, {"configfs/irqmode", "0"},
                      {"queue/scheduler", "none [mq-deadline] kyber"}, {"queue/dma_alignment", "511"},
                      {"queue/nr_requests", "256"}};
const Attrs kNullBlk = {{"configfs/blocksize", "4096"}, {"configfs/irqmode", "0"},
                        {"configfs/hw_queue_depth", "64"}, {"queue/scheduler", "[none] mq-deadline kyber"},
                        {"queue/dma_alignment", "1"}, {"queue/nr_requests", "64"}};

TEST(Parity, CommonAttributesWithDifferentValuesAreDifferences) {
  auto diffs = CommonDifferences(kNullBlk, kRnull);
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_EQ(diffs[0], (AttributeDifference{"queue/nr_requests", "64", "256"}));
  EXPECT_EQ(diffs[1], (AttributeDifference{"queue/scheduler", "[none] mq-deadline kyber", "none [mq-deadline] kyber"}));
  EXPECT_EQ(DescribeDifferences(diffs),
            "setups differ in queue/nr_requests (64 vs 256), queue/scheduler ([none] mq-deadline kyber vs none "
            "[mq-deadline] kyber)");
}

TEST(Parity, AnAttributeOnlyOneDriverHasIsNoDifference) {
  Attrs rnull = kNullBlk;
  rnull.erase("configfs/hw_queue_depth");
  EXPECT_TRUE(CommonDifferences(kNullBlk, rnull).empty());
  EXPECT_EQ(DescribeDifferences({}), "");
}

RunData RunWith(const Attrs& rnull, const Attrs& null_blk, bool with_attributes = true) {
  RunData run;
  run.run.info.baseline = "base";
  run.run.info.timing = "icount";
  run.run.info.variants = {{"base", Expect::kPass, {}, {}}, {"ibt", Expect::kPass, {"-Zcf-protection=branch"}, {}}};
  int64_t id = 0;
  for (std::string variant : {"base", "ibt"}) {
    for (int rep = 0; rep < 5; ++rep) {
      BootRecord b;
      b.id = ++id;
      b.variant = variant;
      b.arch = "x86_64";
      b.toolchain = "rustc-1.96";
      b.kernel = "7.3";
      b.repetition = rep;
      b.build_key = variant;
      for (auto [device, iops, attrs] : {std::tuple{"rnull", 100000.0, rnull}, std::tuple{"null_blk", 300000.0, null_blk}}) {
        std::map<std::string, std::string> labels{{"device", device}, {"scheduler", "none"}};
        b.samples.push_back({"block", "iops", "ops_per_second", iops, labels});
        if (with_attributes) b.attributes.push_back({"block", labels, attrs});
      }
      b.samples.push_back({"binder", "round_trip_p50", "seconds", 2e-5, {{"payload_bytes", "0"}}});
      run.boots.push_back(std::move(b));
    }
  }
  return run;
}

TEST(Parity, RnullIsComparedWithNullBlkInTheSameBootsAndTheSetupsDifferenceIsNamed) {
  RunAnalysis a = AnalyzeRun(RunWith(kRnull, kNullBlk));
  ASSERT_EQ(a.pairs.size(), 2u);  // one per variant
  for (const auto& p : a.pairs) {
    EXPECT_EQ(p.baseline_label, "null_blk");
    EXPECT_EQ(p.variant_label, "rnull");
    EXPECT_EQ(p.key.metric, "iops");
    EXPECT_EQ(LabelsFromKey(p.key.labels), (std::map<std::string, std::string>{{"scheduler", "none"}}));
    EXPECT_NEAR(p.stats.ratio, 1.0 / 3, 1e-9);
    ASSERT_TRUE(p.setup_differences);
    ASSERT_EQ(p.setup_differences->size(), 2u);
    EXPECT_EQ((*p.setup_differences)[1].name, "queue/scheduler");
  }
  // Pairs are shown, never findings: rnull being slower fails nothing.
  EXPECT_TRUE(a.findings.regressions.empty());
}

TEST(Parity, EqualSetupsSaySoAndUnrecordedOnesSayNothingWasRecorded) {
  Attrs same = kNullBlk;
  RunAnalysis equal = AnalyzeRun(RunWith(same, same));
  ASSERT_FALSE(equal.pairs.empty());
  ASSERT_TRUE(equal.pairs[0].setup_differences);
  EXPECT_TRUE(equal.pairs[0].setup_differences->empty());

  RunAnalysis old = AnalyzeRun(RunWith(kRnull, kNullBlk, /*with_attributes=*/false));
  ASSERT_FALSE(old.pairs.empty());
  EXPECT_FALSE(old.pairs[0].setup_differences);
}

TEST(Parity, AVariantComparisonWhoseSidesSetUpDifferentlySaysSo) {
  RunData run = RunWith(kNullBlk, kNullBlk);
  for (auto& b : run.boots) {
    if (b.variant != "ibt") continue;
    for (auto& a : b.attributes) a.values["queue/scheduler"] = "none [mq-deadline] kyber";
  }
  RunAnalysis a = AnalyzeRun(run);
  int with_difference = 0;
  for (const auto& d : a.deltas) {
    if (d.key.workload != "block") {
      EXPECT_FALSE(d.setup_differences) << d.key.Text();  // binder here recorded nothing
      continue;
    }
    ASSERT_TRUE(d.setup_differences) << d.key.Text();
    ASSERT_EQ(d.setup_differences->size(), 1u);
    EXPECT_EQ((*d.setup_differences)[0].name, "queue/scheduler");
    ++with_difference;
  }
  EXPECT_EQ(with_difference, 2);  // rnull and null_blk iops
}

}  // namespace
}  // namespace rfl::results

// profile_period_ns, the binder and block workloads' switch for the kernel
// profile: off by default, 0 or a period of at least 1 µs, judged the same
// by the scenario validator and the agent (images/agent/workload_schema.cpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "images/agent/plan.h"
#include "lab/scenario/load.h"

namespace rfl::agent {
namespace {
using nlohmann::json;

std::expected<WorkloadParams, std::string> Parse(const std::string& workload, json period) {
  return ParseWorkloadParams(workload, json{{"profile_period_ns", period}}.dump());
}

bool ValidatorAccepts(const std::string& workload, json period) {
  std::string yaml = "name: p\nkernel: {source: debian:linux-source-7.3}\ntoolchains: [host]\narches: [x86_64]\n"
                     "variants: {baseline: {}}\nworkloads:\n  - " +
                     workload + ": {profile_period_ns: " + period.dump() + "}\n";
  auto loaded = scenario::ParseScenario("p.yaml", yaml, RFL_LAB_SOURCE_DIR,
                                        scenario::Catalog::FromDataDir(RFL_LAB_SOURCE_DIR));
  return loaded.scenario.has_value();
}

TEST(ProfileParams, OffByDefault) {
  for (std::string w : {"binder", "block"}) {
    auto host = scenario::DefaultWorkload(w);
    ASSERT_TRUE(host.has_value());
    EXPECT_EQ(host->params["profile_period_ns"], 0) << w;
  }
  auto b = ParseWorkloadParams("binder", "{}");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(std::get<BinderParams>(*b).profile_period_ns, 0u);
}

TEST(ProfileParams, PeriodIsZeroOrOneMicrosecondToOneHundredMilliseconds) {
  for (std::string w : {"binder", "block"}) {
    for (int64_t good : {0, 1000, 10007, 100'000'000}) {
      EXPECT_TRUE(Parse(w, good).has_value()) << w << " " << good;
      EXPECT_TRUE(ValidatorAccepts(w, good)) << w << " " << good;
    }
    for (int64_t bad : {1, 999, -1, 100'000'001}) {
      auto p = Parse(w, bad);
      ASSERT_FALSE(p.has_value()) << w << " " << bad;
      EXPECT_NE(p.error().find("profile_period_ns"), std::string::npos) << p.error();
      EXPECT_FALSE(ValidatorAccepts(w, bad)) << w << " " << bad;
    }
  }
  auto p = Parse("binder", 999);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().find("0 for off, or 1000 to 100000000"), std::string::npos) << p.error();
}

TEST(ProfileParams, ThePeriodReachesTheTypedParamsAndBackIntoThePlan) {
  auto b = Parse("binder", 10007);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(std::get<BinderParams>(*b).profile_period_ns, 10007u);
  auto k = Parse("block", 20011);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(std::get<BlockParams>(*k).profile_period_ns, 20011u);
  Plan plan;
  plan.workloads.push_back({"block", 60, *k});
  auto back = ParsePlan(SerializePlan(plan));
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(std::get<BlockParams>(back->workloads[0].params).profile_period_ns, 20011u);
}

TEST(ProfileParams, OnlyTheMeasuringWorkloadsHaveIt) {
  EXPECT_FALSE(Parse("kunit", 10007).has_value());
  EXPECT_FALSE(Parse("boot", 10007).has_value());
}

}  // namespace
}  // namespace rfl::agent

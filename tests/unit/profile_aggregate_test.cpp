// From a `profile` record's counts per address to a table per function
// (lab/profile/function_profile.h), symbolized with an excerpt of a real
// System.map.
#include "lab/profile/function_profile.h"

#include <gtest/gtest.h>

namespace rfl::profile {
namespace {

const std::filesystem::path kRustBinderSystemMap =
    std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "profile" / "System.map.rust-binder-excerpt";

agent::Profile Record() {
  return agent::Profile{"binder",
                        {{"payload_bytes", "0"}},
                        10007,
                        100,
                        0,
                        {{"ffffffff81338f60", 20},   // memcpy_orig+0x0
                         {"ffffffff81338f9a", 20},   // memcpy_orig+0x3a
                         {"ffffffff8106b6de", 30},   // finish_task_switch+0x2e
                         {"ffffffff8129b000", 10},   // Thread::write+0x62
                         {"ffffffffc0001000", 5},    // a module: no symbol
                         {"[user]", 10},
                         {"other", 5}}};
}

SystemMap Map() {
  auto map = SystemMap::Load(kRustBinderSystemMap);
  EXPECT_TRUE(map.has_value());
  return map ? std::move(*map) : SystemMap::Parse("");
}

TEST(ProfileAggregate, AddressesOfOneFunctionAreSummedAndSortedBySamples) {
  SystemMap map = Map();
  FunctionProfile p = Aggregate(Record(), &map);
  ASSERT_EQ(p.rows.size(), 6u);
  EXPECT_EQ(p.samples, 100u);
  EXPECT_EQ(p.rows[0].function, "memcpy_orig");
  EXPECT_EQ(p.rows[0].samples, 40u);
  EXPECT_DOUBLE_EQ(p.rows[0].share, 0.4);
  EXPECT_EQ(p.rows[1].function, "finish_task_switch");
  // Ties (10 each) by name.
  EXPECT_EQ(p.rows[2].function, "<rust_binder::thread::Thread>::write");
  EXPECT_EQ(p.rows[3].function, kUserBucket);
  EXPECT_EQ(p.rows[4].function, kNoSymbolBucket);
  EXPECT_EQ(p.rows[5].function, kOtherBucket);
  EXPECT_EQ(p.rows[5].samples, 5u);
}

TEST(ProfileAggregate, WithoutASystemMapEveryAddressStaysARow) {
  FunctionProfile p = Aggregate(Record(), nullptr);
  EXPECT_EQ(p.rows.size(), 7u);
  EXPECT_EQ(p.rows[0].function, "0xffffffff8106b6de");
}

TEST(ProfileAggregate, PerOperationTimeComesFromTheLoopsOwnMetric) {
  EXPECT_EQ(PerOpMetric("binder"), "round_trip_p50");
  EXPECT_EQ(PerOpMetric("block"), "latency_mean");
  EXPECT_FALSE(PerOpMetric("kunit").has_value());
}

TEST(ProfileTable, IcountEstimateIsShareTimesTheOperationsInstructions) {
  SystemMap map = Map();
  std::string text = RenderTable(Aggregate(Record(), &map), 2, Estimate{"round_trip_p50", 20000, true});
  EXPECT_NE(text.find("profile binder payload_bytes=0: 100 samples, one per 10007 ns of CPU time, 0 lost"),
            std::string::npos) << text;
  EXPECT_NE(text.find("est. insns/op"), std::string::npos) << text;
  EXPECT_NE(text.find("under icount (1 ns of guest time = 1 instruction)"), std::string::npos) << text;
  // memcpy_orig: 40% of 20000.
  EXPECT_NE(text.find("memcpy_orig"), std::string::npos);
  EXPECT_NE(text.find("40.0%         8000"), std::string::npos) << text;
  // Two rows shown, the rest counted.
  EXPECT_EQ(text.find("Thread>::write"), std::string::npos) << text;
  EXPECT_NE(text.find("4 more functions"), std::string::npos) << text;
}

TEST(ProfileTable, UnderWallTimingTheEstimateIsTimeNotInstructions) {
  SystemMap map = Map();
  std::string text = RenderTable(Aggregate(Record(), &map), 25, Estimate{"round_trip_p50", 20000, false});
  EXPECT_NE(text.find("est. ns/op"), std::string::npos) << text;
  EXPECT_NE(text.find("wall timing: this estimate is time, not instructions"), std::string::npos) << text;
  EXPECT_EQ(text.find("insns"), std::string::npos) << text;
}

TEST(ProfileTable, JsonHasEveryRowAndTheEstimateUnit) {
  SystemMap map = Map();
  auto j = ToJson(Aggregate(Record(), &map), Estimate{"latency_mean", 1000, true});
  EXPECT_EQ(j["functions"].size(), 6u);
  EXPECT_EQ(j["estimate"]["unit"], "instructions");
  EXPECT_DOUBLE_EQ(j["functions"][0]["estimated_per_op"].get<double>(), 400.0);
  EXPECT_EQ(j["labels"]["payload_bytes"], "0");
}

}  // namespace
}  // namespace rfl::profile

// The block workload's device setup (images/agent/block_setup.h): rnull and
// null_blk must be created with the same common attributes, or the
// comparison measures two setups (rnull at 37 % of null_blk was rnull's
// mq-deadline against null_blk's none).
#include "images/agent/block_setup.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace rfl::agent {

// Readable failures ("scheduler=none"), found by gtest through ADL.
void PrintTo(const AttrWrite& w, std::ostream* os) { *os << w.name << "=" << w.value << (w.optional ? "?" : ""); }

namespace {

// rnull's configfs attributes in Linux 7.3 (drivers/block/rnull/configfs.rs).
const std::set<std::string> kRnullAttributes = {"power", "blocksize", "rotational", "size", "irqmode"};

std::map<std::string, std::string> Values(const std::vector<AttrWrite>& writes) {
  std::map<std::string, std::string> out;
  for (const auto& w : writes) out[w.name] = w.value;
  return out;
}

TEST(BlockSetup, BothDevicesGetTheSameValueForEveryAttributeTheyShare) {
  for (std::string scheduler : {"none", "mq-deadline", "kyber"}) {
    SCOPED_TRACE(scheduler);
    auto rnull = BlockSetup("rnull", 4096, 1024, scheduler);
    auto nullb = BlockSetup("null_blk", 4096, 1024, scheduler);
    auto r = Values(rnull.configfs), n = Values(nullb.configfs);
    for (const auto& name : kRnullAttributes) {
      ASSERT_TRUE(r.contains(name)) << "rnull leaves " << name << " at its default";
      ASSERT_TRUE(n.contains(name)) << "null_blk leaves " << name << " at its default";
      EXPECT_EQ(r[name], n[name]) << name;
    }
    // Every rnull write is a name null_blk has too (they share the names).
    for (const auto& [name, value] : r) EXPECT_EQ(n[name], value) << name;
    // The block layer's queue: the same writes, the scheduler among them.
    EXPECT_EQ(rnull.queue, nullb.queue);
    EXPECT_EQ(Values(rnull.queue)["scheduler"], scheduler);
  }
}

TEST(BlockSetup, NullBlkTakesTheQueueLayoutRnullHasFixedInCode) {
  auto n = Values(BlockSetup("null_blk", 4096, 1024, "none").configfs);
  EXPECT_EQ(n["submit_queues"], std::to_string(kRnullHwQueues));
  EXPECT_EQ(n["hw_queue_depth"], std::to_string(kRnullQueueDepth));
  // null_blk's default extra poll queue makes two hardware queues, and with
  // two the block layer picks no scheduler by default.
  EXPECT_EQ(n["poll_queues"], "0");
  EXPECT_EQ(n["memory_backed"], "0");
  EXPECT_EQ(n["blocking"], "0");
}

TEST(BlockSetup, PowerIsWrittenLastSoEverySettingAppliesToTheNewDisk) {
  for (std::string device : {"rnull", "null_blk"}) {
    for (const auto& scheduler : BlockSchedulerChoices()) {
      auto s = BlockSetup(device, 512, 16, scheduler);
      ASSERT_FALSE(s.configfs.empty());
      EXPECT_EQ(s.configfs.back(), (AttrWrite{"power", "1", false})) << device << " " << scheduler;
    }
  }
}

TEST(BlockSetup, DriverDefaultSetsOnlyTheGeometryAndTheCompletionMode) {
  auto r = BlockSetup("rnull", 4096, 1024, kDriverDefault);
  auto n = BlockSetup("null_blk", 4096, 1024, kDriverDefault);
  EXPECT_TRUE(r.queue.empty());
  EXPECT_TRUE(n.queue.empty());
  EXPECT_FALSE(Values(n.configfs).contains("hw_queue_depth"));
  EXPECT_FALSE(Values(n.configfs).contains("poll_queues"));
  EXPECT_EQ(Values(r.configfs)["blocksize"], "4096");
  EXPECT_EQ(Values(n.configfs)["size"], "1024");
}

}  // namespace
}  // namespace rfl::agent

#pragma once
// Parity: were two measurements asked to do the same thing? The agent sends
// what each workload set up (AttributeSet: a block device's configfs and
// queue attributes, the binder ping-pong's transaction setup); a comparison
// whose two sides differ in an attribute both have says so next to its
// verdict, because then it compares setups and not the code under test.
// (Issue: rnull at 37 % of null_blk was mq-deadline against no scheduler.)
#include <map>
#include <string>
#include <vector>

#include "lab/results/records.h"

namespace rfl::results {

struct AttributeDifference {
  std::string name;      // "queue/scheduler"
  std::string baseline;  // value on the baseline side
  std::string variant;
  bool operator==(const AttributeDifference&) const = default;
};

// Attributes present on both sides with different values, by name, except
// the few documented as not touching the measured path (docs/statistics.md,
// "Parity"). An attribute only one side has (null_blk's zoned, …) is not a
// difference: the other driver has no such setting.
std::vector<AttributeDifference> CommonDifferences(const std::map<std::string, std::string>& baseline,
                                                   const std::map<std::string, std::string>& variant);

// "setups differ in queue/scheduler (none [mq-deadline] kyber vs [none] mq-deadline kyber)"; '' when equal.
std::string DescribeDifferences(const std::vector<AttributeDifference>& diffs);

// The attribute set a boot reported for (workload, labels); nullptr if none.
const AttributeSet* FindAttributes(const BootRecord& boot, const std::string& workload,
                                   const std::map<std::string, std::string>& labels);

}  // namespace rfl::results

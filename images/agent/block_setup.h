#pragma once
// How the block workload sets up rnull and null_blk, as data, so the rule
// "both devices get the same common attributes" is checked by a unit test
// and not only by reading images/agent/workloads/block.cpp.
//
// rnull (drivers/block/rnull/, Linux 7.x) fixes its queue layout in code —
// one hardware queue of 256 tags (TagSet::new(1, 256, 1)), no poll queues,
// never blocking — and exposes only blocksize, size, rotational, irqmode and
// power in configfs. null_blk exposes all of these and more, with other
// defaults: hw_queue_depth 64 and one extra poll queue, so two hardware
// queues, and with two the block layer picks no I/O scheduler, while rnull's
// single queue gets mq-deadline. Compared as created, the two devices ran
// different block-layer paths (docs/workloads.md, "rnull and null_blk").
// The equal setup gives null_blk rnull's fixed layout and sets the same
// scheduler on both.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rfl::agent {

inline constexpr int kRnullHwQueues = 1;
inline constexpr int kRnullQueueDepth = 256;

// The block workload's `schedulers` choices: a scheduler set on both devices
// (equal setup), or each driver's own defaults beyond the geometry.
inline constexpr std::string_view kDriverDefault = "driver-default";
const std::vector<std::string>& BlockSchedulerChoices();  // none, mq-deadline, kyber, driver-default

struct AttrWrite {
  std::string name;
  std::string value;
  bool optional = false;  // older kernels lack it; absent is not an error
  bool operator==(const AttrWrite&) const = default;
};

struct BlockDeviceSetup {
  // configfs/<driver>/<group>/<name>, in order; `power` 1 is last.
  std::vector<AttrWrite> configfs;
  // /sys/block/<disk>/queue/<name>, after power-on.
  std::vector<AttrWrite> queue;
};

// `device`: rnull | null_blk. `scheduler`: one of BlockSchedulerChoices().
BlockDeviceSetup BlockSetup(std::string_view device, uint32_t block_size, uint64_t size_mib,
                            std::string_view scheduler);

}  // namespace rfl::agent

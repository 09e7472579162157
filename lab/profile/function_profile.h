#pragma once
// A `profile` record (images/agent/protocol.h: sample counts per kernel
// address, sampled in the guest) turned into a table per function: the
// addresses resolved with the kernel's System.map, summed per function,
// with each function's share of all samples and, given the measured time of
// one operation of the same loop, an estimate of that function's cost per
// operation: share × per-operation time. Under icount (1 ns of guest time =
// 1 instruction) that is an estimate of instructions per operation; under
// wall timing it is only time. "Estimated" because it assumes the samples
// are uniform in time, and because irq-off regions push their samples onto
// the instruction that re-enables interrupts (_raw_spin_unlock_irqrestore,
// finish_task_switch).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "images/agent/protocol.h"
#include "lab/profile/system_map.h"

namespace rfl::profile {

inline constexpr std::string_view kUserBucket = "[user]";
inline constexpr std::string_view kOtherBucket = "[other kernel addresses]";
inline constexpr std::string_view kNoSymbolBucket = "[kernel, no symbol]";

struct FunctionRow {
  std::string function;  // demangled; or one of the buckets above
  uint64_t samples = 0;
  double share = 0;      // of all samples of the profile
};

struct FunctionProfile {
  std::string workload;
  std::map<std::string, std::string> labels;
  uint64_t period_ns = 0;
  uint64_t samples = 0;  // sum of the rows
  uint64_t lost = 0;
  std::vector<FunctionRow> rows;  // most samples first; ties by name
};

// Sums the record's addresses per function. `map` null (no System.map):
// every kernel address stays a row of its own, named by its hex address.
FunctionProfile Aggregate(const agent::Profile& record, const SystemMap* map);

// The sample whose value is one operation's time in the profiled loop:
// binder round_trip_p50, block latency_mean; nullopt for other workloads.
std::optional<std::string_view> PerOpMetric(std::string_view workload);

struct Estimate {
  std::string metric;    // round_trip_p50
  double per_op_ns = 0;  // its value
  bool icount = false;   // then ns of guest time = instructions
};

// Text: a header, then the `top` rows (function, samples, share, estimated
// instructions or ns per operation when `estimate` is given).
std::string RenderTable(const FunctionProfile& p, size_t top, const std::optional<Estimate>& estimate);
// Every row, for --json.
nlohmann::json ToJson(const FunctionProfile& p, const std::optional<Estimate>& estimate);

}  // namespace rfl::profile

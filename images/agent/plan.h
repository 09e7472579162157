#pragma once
// The agent's plan: /plan.json in the initramfs, written by the host
// (lab/image) and read by the agent. Both sides use this parser, so a plan
// the host writes is a plan the agent accepts. Format in
// docs/agent-protocol.md:
//
//   {"version":1, "boot_id":"…",
//    "workloads":[{"name":"binder","timeout_s":60,"params":{…}}, …]}
//
// Parameters are validated and defaults filled in by the one workload schema
// (workload_schema.h) the lab's validator uses too; an error names the
// workload index and the field. The structs below hold normalized values
// only: their defaults live in the schema, not here.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rfl::agent {

inline constexpr int kPlanVersion = 1;

struct BootParams {};

struct RustSamplesParams {
  // Lines that must appear in the kernel log (substring match).
  std::vector<std::string> expect;
};
// rust_minimal and rust_print lines printed at init by SAMPLES_RUST.
const std::vector<std::string>& DefaultRustSampleLines();

struct BinderParams {
  std::vector<uint64_t> payloads;
  int iterations = 0;
  int warmup = 0;
  // Scheduling policy of the client and server: "other" (SCHED_OTHER, as
  // binderThroughputTest) or "fifo" (SCHED_FIFO, as schd-dbg -fifo).
  std::string sched;
  // Kernel profile of each payload's measured loop: cpu-clock sampling
  // period in ns, 0 = off (images/agent/profile.h).
  uint64_t profile_period_ns = 0;
};

struct BlockParams {
  std::vector<std::string> devices;  // rnull, null_blk
  std::string pattern;               // randread | read
  uint32_t block_size = 0;
  int ios = 0;
  uint64_t size_mib = 0;  // device capacity to create
  std::string sched;      // "other" | "fifo", as for binder
  std::vector<std::string> schedulers;  // BlockSchedulerChoices(); one device pair each
  uint64_t profile_period_ns = 0;       // as for binder: per device, 0 = off
};

struct KunitParams {
  std::vector<std::string> suites;  // glob patterns; empty = all
};

struct CommandParams {
  std::vector<std::string> argv;
  int expect_exit = 0;
};

using WorkloadParams = std::variant<BootParams, RustSamplesParams, BinderParams, BlockParams,
                                    KunitParams, CommandParams>;

struct PlanWorkload {
  std::string name;    // boot | rust-samples | binder | block | kunit | command
  int timeout_s = 60;
  WorkloadParams params;
};

struct Plan {
  int version = kPlanVersion;
  std::string boot_id;
  std::vector<PlanWorkload> workloads;
};

// The workload names the agent knows.
const std::vector<std::string>& KnownWorkloads();

// Parses and validates a plan (JSON text). Unknown keys are errors, so a typo
// on the host side does not silently fall back to a default.
std::expected<Plan, std::string> ParsePlan(std::string_view text);

// Parses one workload's params (a JSON object text) — used by the host to
// validate scenario parameters with the agent's own rules.
std::expected<WorkloadParams, std::string> ParseWorkloadParams(std::string_view name,
                                                               std::string_view params_json);

// The plan as JSON text (params with defaults filled in).
std::string SerializePlan(const Plan& plan);

}  // namespace rfl::agent

#pragma once
// The guest workloads. Each runs in a forked child of the agent (its own
// process group, its own timeout) and reports through a Reporter, which
// writes records to a pipe the agent reads and forwards with sequence
// numbers; the child's return value becomes the workload-result record.
#include <map>
#include <string>

#include "images/agent/plan.h"
#include "images/agent/profile.h"
#include "images/agent/protocol.h"

namespace rfl::agent {

class Reporter {
 public:
  Reporter(std::string workload, int fd) : workload_(std::move(workload)), fd_(fd) {}
  void AddSample(std::string metric, Unit unit, double value,
                 std::map<std::string, std::string> labels = {});
  void AddTestCase(std::string suite, std::string name, std::string status, std::string reason,
                   std::string diagnostics = {});
  void AddLog(std::string level, std::string message);
  // What the workload set up for the samples with these labels (parity).
  void AddAttributes(std::map<std::string, std::string> labels, std::map<std::string, std::string> values);
  // The kernel profile of the loop whose samples have these labels: its
  // warnings as `log` records, then one `profile` record.
  void AddProfile(std::map<std::string, std::string> labels, const ProfileCounts& counts);
  // Sends any record body (used for the final workload-result).
  void Send(Body body);
  const std::string& workload() const { return workload_; }

 private:
  std::string workload_;
  int fd_;
};

struct Outcome {
  Status status = Status::kFailed;
  std::string reason;
  std::string output;
  static Outcome Passed(std::string reason = {}) { return {Status::kPassed, std::move(reason), {}}; }
  static Outcome Failed(std::string reason) { return {Status::kFailed, std::move(reason), {}}; }
  static Outcome Skipped(std::string reason) { return {Status::kSkipped, std::move(reason), {}}; }
};

// The line the agent writes to /dev/kmsg as it starts (PID 1, after /dev is
// mounted); its printk timestamp is the agent's start on the kernel's clock.
inline constexpr std::string_view kKmsgStartMark = "rfl-agent: start";

// What the agent knew before the workload started.
struct AgentContext {
  double agent_start_s = 0;  // CLOCK_BOOTTIME at the top of main()
};

// Sends the smallest step CLOCK_MONOTONIC is seen to take (clock_resolution,
// seconds) and warns when it is too coarse for per-operation latencies (a
// jiffies clocksource: 4 ms steps).
void ReportClockResolution(Reporter& r);

Outcome RunBoot(const BootParams& p, const AgentContext& ctx, Reporter& r);
Outcome RunRustSamples(const RustSamplesParams& p, Reporter& r);
Outcome RunBinder(const BinderParams& p, Reporter& r);
Outcome RunBlock(const BlockParams& p, Reporter& r);
Outcome RunKunit(const KunitParams& p, Reporter& r);
Outcome RunCommand(const CommandParams& p, Reporter& r);

}  // namespace rfl::agent

#include <algorithm>

#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {

void Reporter::Send(Body body) {
  std::string line = EncodeJson(Record{0, std::move(body)});
  line.push_back('\n');
  WriteAll(fd_, line.data(), line.size(), 30);
}

void Reporter::AddSample(std::string metric, Unit unit, double value,
                         std::map<std::string, std::string> labels) {
  Send(Sample{workload_, std::move(metric), std::string(UnitName(unit)), value, std::move(labels)});
}

void Reporter::AddTestCase(std::string suite, std::string name, std::string status, std::string reason,
                           std::string diagnostics) {
  Send(TestCase{workload_, std::move(suite), std::move(name), std::move(status), std::move(reason),
                std::move(diagnostics)});
}

void Reporter::AddAttributes(std::map<std::string, std::string> labels,
                             std::map<std::string, std::string> values) {
  Send(Attributes{workload_, std::move(labels), std::move(values)});
}

void Reporter::AddProfile(std::map<std::string, std::string> labels, const ProfileCounts& counts) {
  for (const auto& w : counts.warnings) AddLog("warn", "profile: " + w);
  Send(Profile{workload_, std::move(labels), counts.period_ns, counts.samples, counts.lost, TopIps(counts)});
}

void Reporter::AddLog(std::string level, std::string message) {
  Send(Log{std::move(level), workload_ + ": " + message});
}

namespace {

// The smallest step CLOCK_MONOTONIC is seen to take, over a few steps (at
// most ~100 ms of spinning). clock_getres() is not it: it reports the tick
// until high-resolution timers switch on, which can be after init starts,
// while reads are already fine-grained; and a fine getres says nothing when
// the clocksource itself is jiffies.
double ObservedClockStep() {
  double best = 0.1;
  const double give_up = MonotonicSeconds() + 0.1;
  for (int steps = 0; steps < 5; ++steps) {
    double start = MonotonicSeconds(), now = start;
    while (now == start && now < give_up) now = MonotonicSeconds();
    if (now == start) break;
    best = std::min(best, now - start);
  }
  return best;
}

}  // namespace

void ReportClockResolution(Reporter& r) {
  double seconds = ObservedClockStep();
  r.AddSample("clock_resolution", Unit::kSeconds, seconds);
  if (seconds > 1e-6) {
    r.AddLog("warn", "CLOCK_MONOTONIC moves in steps of " + std::to_string(seconds * 1e3) +
                         " ms: per-operation latencies are quantized (a kernel on a jiffies clocksource, e.g. "
                         "x86 without ACPI under TCG with real time and no tsc_early_khz=); rates (ops_per_second) and means "
                         "stay valid");
  }
}

}  // namespace rfl::agent

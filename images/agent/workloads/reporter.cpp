#include <time.h>

#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {

void Reporter::Send(Body body) {
  std::string line = EncodeJson(Record{0, std::move(body)});
  line.push_back('\n');
  WriteAll(fd_, line.data(), line.size(), 30);
}

void Reporter::AddSample(std::string metric, std::string unit, double value,
                         std::map<std::string, std::string> labels) {
  Send(Sample{workload_, std::move(metric), std::move(unit), value, std::move(labels)});
}

void Reporter::AddTestCase(std::string suite, std::string name, std::string status, std::string reason) {
  Send(TestCase{workload_, std::move(suite), std::move(name), std::move(status), std::move(reason)});
}

void Reporter::AddLog(std::string level, std::string message) {
  Send(Log{std::move(level), workload_ + ": " + message});
}

void ReportClockResolution(Reporter& r) {
  timespec res{};
  clock_getres(CLOCK_MONOTONIC, &res);
  double seconds = static_cast<double>(res.tv_sec) + static_cast<double>(res.tv_nsec) * 1e-9;
  r.AddSample("clock_resolution", "seconds", seconds);
  if (seconds > 1e-6) {
    r.AddLog("warn", "CLOCK_MONOTONIC resolution is " + std::to_string(seconds * 1e3) +
                         " ms: per-operation latencies are quantized (kernel without HIGH_RES_TIMERS "
                         "or a fine clocksource); rates (ops_per_second) stay valid");
  }
}

}  // namespace rfl::agent

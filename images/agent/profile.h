#pragma once
// KernelProfiler: where a workload's measured loop spends its time, kernel
// included, sampled inside the guest. One perf_event_open cpu-clock event per
// online CPU (pid -1: every task on that CPU, kernel threads too), sampling
// the instruction pointer every `period_ns` of CPU time into an mmap'd ring
// buffer; the counts per address go to the host in one `profile` record
// (docs/agent-protocol.md, "Profiling a workload"), which symbolizes them
// with the kernel's System.map (lab/profile/).
//
// The technique is the one of the issue-20 investigation (Rust vs C binder):
// the sysctls that stop perf from throttling or refusing, a wait for the
// boot to leave its early clocksource (cpu-clock hardly fires before), and
// dephasing. Under icount the guest is deterministic, so a fixed sampling
// period can lock onto the loop's own period and sample the same few
// instructions over and over. Tick(), called between two iterations outside
// their timed region, spins for a pseudo-random (xorshift, so repeatable)
// number of instructions below half a period; the spin's samples are
// recognized by address and dropped. Changing the period instead
// (PERF_EVENT_IOC_PERIOD) restarts the timer at every call, which makes the
// phase the same in every iteration: the aliasing it was meant to break.
//
// A profile is optional evidence: every problem is a warning text for the
// workload to log, never a failure, and a profiler that could not start
// samples nothing and costs nothing.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace rfl::agent {

// What one profiled loop left.
struct ProfileCounts {
  uint64_t period_ns = 0;
  uint64_t samples = 0;  // kept: kernel + user, without the dephasing spin
  uint64_t lost = 0;     // PERF_RECORD_LOST
  uint64_t user = 0;     // user-space samples (one bucket)
  std::unordered_map<uint64_t, uint64_t> kernel_ips;
  std::vector<std::string> warnings;  // for the workload to log
};

// The protocol's `ips`: the `limit` most frequent kernel addresses as
// lower-case hex → count, "[user]" and "other" (the rest, summed).
std::map<std::string, uint64_t> TopIps(const ProfileCounts& counts, size_t limit = 4096);

class KernelProfiler {
 public:
  KernelProfiler() = default;
  ~KernelProfiler();
  KernelProfiler(const KernelProfiler&) = delete;
  KernelProfiler& operator=(const KernelProfiler&) = delete;

  // Prepares the kernel (sysctls, clocksource, at most 10 s) and starts
  // sampling on every online CPU. Returns the problems met; running() says
  // whether sampling runs.
  std::vector<std::string> Start(uint64_t period_ns);
  bool running() const { return !cpus_.empty(); }
  // Between two iterations, outside their timed region: the dephasing spin,
  // and draining a ring buffer that is half full.
  void Tick();
  // Stops sampling and returns the counts (also the warnings of this run).
  ProfileCounts Stop();

 private:
  struct Cpu {
    int fd = -1;
    void* base = nullptr;  // metadata page + data pages
    size_t length = 0;
  };
  void Drain(Cpu& cpu);
  void Close();

  std::vector<Cpu> cpus_;
  ProfileCounts counts_;
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;
  uint64_t spin_span_ = 0;  // spin iterations are drawn from [1, spin_span_]
};

}  // namespace rfl::agent

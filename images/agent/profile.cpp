#include "images/agent/profile.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "images/agent/system.h"

// The dephasing spin, in assembly so that its addresses are known exactly:
// `n` (≥ 1) iterations of two instructions, between two global labels. A
// user-space sample whose address falls in [rfl_dephase_spin,
// rfl_dephase_spin_end) was taken in the spin and is dropped.
extern "C" void rfl_dephase_spin(uint64_t n);
extern "C" const char rfl_dephase_spin_end[];
asm(".text\n"
    ".globl rfl_dephase_spin\n"
    ".type rfl_dephase_spin, %function\n"
    "rfl_dephase_spin:\n"
#if defined(__x86_64__)
    "1: dec %rdi\n"
    "   jnz 1b\n"
    "   ret\n"
#elif defined(__aarch64__)
    "1: subs x0, x0, #1\n"
    "   b.ne 1b\n"
    "   ret\n"
#elif defined(__riscv)
    "1: addi a0, a0, -1\n"
    "   bnez a0, 1b\n"
    "   ret\n"
#else
#error "rfl_dephase_spin: no spin for this architecture"
#endif
    ".globl rfl_dephase_spin_end\n"
    "rfl_dephase_spin_end:\n"
    ".size rfl_dephase_spin, rfl_dephase_spin_end - rfl_dephase_spin\n");

namespace rfl::agent {
namespace {

constexpr const char* kClocksource = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
constexpr double kClocksourceWaitS = 10;
constexpr size_t kDataPages = 256;  // per CPU; drained by Tick() when half full

std::string Sysctl(const std::string& name) { return "/proc/sys/kernel/" + name; }

std::optional<long long> ReadNumber(const std::string& path) {
  auto text = ReadText(path);
  if (!text) return std::nullopt;
  try {
    return std::stoll(Trim(*text));
  } catch (...) {
    return std::nullopt;
  }
}

// Writes a sysctl unless it already holds `value`; a failure is a warning.
void SetSysctl(const std::string& name, long long value, std::vector<std::string>& warnings) {
  if (ReadNumber(Sysctl(name)) == value) return;
  if (!WriteText(Sysctl(name), std::to_string(value))) {
    warnings.push_back("cannot set kernel." + name + "=" + std::to_string(value) + ": " + ErrnoText());
  }
}

// The sysctls of the investigation: no paranoia, no throttling (perf would
// otherwise lower the sample rate when the handler takes more than 25% of
// the CPU, which it does under TCG), room for the ring buffers.
void PrepareSysctls(uint64_t period_ns, std::vector<std::string>& warnings) {
  SetSysctl("perf_event_paranoid", -1, warnings);
  if (ReadNumber(Sysctl("perf_event_mlock_kb")).value_or(0) < 131072) {
    SetSysctl("perf_event_mlock_kb", 131072, warnings);
  }
  // The per-tick interrupt limit follows max_sample_rate, which the kernel
  // refuses to change while throttling is off (percent 0 or 100).
  long long rate = std::max<long long>(1'000'000, static_cast<long long>(2'000'000'000ull / period_ns));
  if (ReadNumber(Sysctl("perf_event_max_sample_rate")).value_or(0) < rate) {
    long long percent = ReadNumber(Sysctl("perf_cpu_time_max_percent")).value_or(25);
    if (percent == 0 || percent == 100) SetSysctl("perf_cpu_time_max_percent", 25, warnings);
    SetSysctl("perf_event_max_sample_rate", rate, warnings);
  }
  SetSysctl("perf_cpu_time_max_percent", 0, warnings);
}

bool EarlyClocksource(const std::string& name) {
  return name == "jiffies" || name == "refined-jiffies" || name == "hpet" || name == "tsc-early";
}

// hrtimers run in high-resolution mode: clock_getres() reports 1 ns then,
// the tick (4 ms at HZ=250) before.
bool HighResolutionTimers() {
  timespec res{};
  return clock_gettime(CLOCK_MONOTONIC, &res) == 0 && clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
         res.tv_sec == 0 && res.tv_nsec <= 1000;
}

// cpu-clock is an hrtimer: on an early clocksource (x86: tsc-early until the
// kernel switches to tsc, seconds after boot under TCG) hrtimers are not in
// high-resolution mode and fire only on the tick, one sample per 4 ms
// whatever the period (the investigation got 105 samples in 420 ms; a first
// version of this wait, which knew only jiffies and hpet, got 12 in 43 ms).
void WaitForClocksource(std::vector<std::string>& warnings) {
  auto read = [] { return Trim(ReadText(kClocksource).value_or("")); };
  std::string current = read();
  const double give_up = MonotonicSeconds() + kClocksourceWaitS;
  while ((EarlyClocksource(current) || !HighResolutionTimers()) && MonotonicSeconds() < give_up) {
    usleep(50'000);
    current = read();
  }
  if (EarlyClocksource(current) || !HighResolutionTimers()) {
    warnings.push_back("after " + std::to_string(int(kClocksourceWaitS)) + " s the clocksource is " + current +
                       (HighResolutionTimers() ? "" : " and hrtimers are not in high-resolution mode") +
                       ": cpu-clock samples come only with the tick, the profile is sparse");
  }
}

// "0-1,3" → {0, 1, 3}; {0} when the file is missing.
std::vector<int> OnlineCpus() {
  std::vector<int> out;
  auto text = ReadText("/sys/devices/system/cpu/online");
  if (!text) return {0};
  std::string s = Trim(*text);
  size_t i = 0;
  while (i < s.size()) {
    size_t comma = s.find(',', i);
    std::string part = s.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
    size_t dash = part.find('-');
    try {
      int lo = std::stoi(part.substr(0, dash));
      int hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
      for (int c = lo; c <= hi; ++c) out.push_back(c);
    } catch (...) {
    }
    if (comma == std::string::npos) break;
    i = comma + 1;
  }
  return out.empty() ? std::vector<int>{0} : out;
}

bool InSpin(uint64_t ip) {
  auto begin = reinterpret_cast<uintptr_t>(&rfl_dephase_spin);
  auto end = reinterpret_cast<uintptr_t>(rfl_dephase_spin_end);
  return ip >= begin && ip < end;
}

}  // namespace

std::map<std::string, uint64_t> TopIps(const ProfileCounts& counts, size_t limit) {
  std::vector<std::pair<uint64_t, uint64_t>> by_count(counts.kernel_ips.begin(), counts.kernel_ips.end());
  std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::map<std::string, uint64_t> out;
  uint64_t other = 0;
  for (size_t i = 0; i < by_count.size(); ++i) {
    if (i >= limit) {
      other += by_count[i].second;
      continue;
    }
    char hex[20];
    std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(by_count[i].first));
    out[hex] = by_count[i].second;
  }
  if (other > 0) out["other"] = other;
  if (counts.user > 0) out["[user]"] = counts.user;
  return out;
}

KernelProfiler::~KernelProfiler() { Close(); }

void KernelProfiler::Close() {
  for (auto& cpu : cpus_) {
    if (cpu.base) munmap(cpu.base, cpu.length);
    if (cpu.fd >= 0) close(cpu.fd);
  }
  cpus_.clear();
}

std::vector<std::string> KernelProfiler::Start(uint64_t period_ns) {
  Close();
  counts_ = ProfileCounts{};
  counts_.period_ns = period_ns;
  std::vector<std::string> warnings;
  if (period_ns == 0) return warnings;
  PrepareSysctls(period_ns, warnings);
  WaitForClocksource(warnings);

  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (int cpu_id : OnlineCpus()) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = period_ns;
    attr.sample_type = PERF_SAMPLE_IP;
    attr.disabled = 1;
    attr.exclude_hv = 1;
    Cpu cpu;
    cpu.fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu_id, -1, PERF_FLAG_FD_CLOEXEC));
    if (cpu.fd < 0) {
      warnings.push_back("perf_event_open(cpu-clock, cpu " + std::to_string(cpu_id) + "): " + ErrnoText() +
                         (errno == ENOENT || errno == ENOSYS ? " (kernel without PERF_EVENTS?)" : ""));
      Close();
      return warnings;
    }
    cpu.length = (kDataPages + 1) * page;
    void* base = mmap(nullptr, cpu.length, PROT_READ | PROT_WRITE, MAP_SHARED, cpu.fd, 0);
    if (base == MAP_FAILED) {
      warnings.push_back("mmap of the perf ring buffer (cpu " + std::to_string(cpu_id) + "): " + ErrnoText());
      close(cpu.fd);
      Close();
      return warnings;
    }
    cpu.base = base;
    cpus_.push_back(cpu);
  }
  // Two instructions per iteration: the spin lasts up to half a period of
  // instructions (of nanoseconds under icount).
  spin_span_ = std::max<uint64_t>(1, period_ns / 4);
  for (auto& cpu : cpus_) {
    if (ioctl(cpu.fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
      warnings.push_back("PERF_EVENT_IOC_ENABLE: " + ErrnoText());
      Close();
      return warnings;
    }
  }
  return warnings;
}

void KernelProfiler::Tick() {
  if (cpus_.empty()) return;
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  rfl_dephase_spin(1 + (rng_ * 2685821657736338717ull) % spin_span_);
  for (auto& cpu : cpus_) {
    auto* meta = static_cast<perf_event_mmap_page*>(cpu.base);
    uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
    if (head - meta->data_tail > meta->data_size / 2) Drain(cpu);
  }
}

void KernelProfiler::Drain(Cpu& cpu) {
  auto* meta = static_cast<perf_event_mmap_page*>(cpu.base);
  const uint8_t* data = static_cast<const uint8_t*>(cpu.base) + meta->data_offset;
  const uint64_t size = meta->data_size;
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;
  auto copy = [&](uint64_t at, void* out, size_t n) {
    auto* o = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < n; ++i) o[i] = data[(at + i) % size];
  };
  while (head - tail >= sizeof(perf_event_header)) {
    perf_event_header h;
    copy(tail, &h, sizeof h);
    if (h.size < sizeof h || h.size > head - tail) {
      counts_.warnings.push_back("malformed perf record (type " + std::to_string(h.type) + ", size " +
                                 std::to_string(h.size) + "): rest of the ring buffer skipped");
      tail = head;
      break;
    }
    if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof h + 8) {
      uint64_t ip;
      copy(tail + sizeof h, &ip, sizeof ip);
      if ((h.misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_USER) {
        if (!InSpin(ip)) ++counts_.user;
      } else {
        ++counts_.kernel_ips[ip];
      }
    } else if (h.type == PERF_RECORD_LOST && h.size >= sizeof h + 16) {
      uint64_t lost;
      copy(tail + sizeof h + 8, &lost, sizeof lost);
      counts_.lost += lost;
    } else if (h.type == PERF_RECORD_THROTTLE) {
      if (std::find(counts_.warnings.begin(), counts_.warnings.end(), "sampling was throttled") ==
          counts_.warnings.end()) {
        counts_.warnings.push_back("sampling was throttled");
      }
    }
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

ProfileCounts KernelProfiler::Stop() {
  for (auto& cpu : cpus_) ioctl(cpu.fd, PERF_EVENT_IOC_DISABLE, 0);
  for (auto& cpu : cpus_) Drain(cpu);
  Close();
  ProfileCounts out = std::move(counts_);
  out.samples = out.user;
  for (const auto& [ip, n] : out.kernel_ips) out.samples += n;
  if (out.lost > 0) {
    out.warnings.push_back(std::to_string(out.lost) + " samples lost (ring buffer full)");
  }
  counts_ = ProfileCounts{};
  return out;
}

}  // namespace rfl::agent

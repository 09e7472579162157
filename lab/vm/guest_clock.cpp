#include "lab/vm/guest_clock.h"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <string_view>

#include <fmt/format.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace rfl::vm {
namespace {

#if defined(__x86_64__)
bool HostTscIsConstant() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("flags")) continue;
    return line.find(" constant_tsc") != std::string::npos;
  }
  return false;
}

int64_t Ns(const timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

// One (clock, tsc) pair: the TSC read between two clock reads, kept only
// from the tightest of several tries so a preemption does not skew it.
struct Pair {
  int64_t ns = 0;
  uint64_t tsc = 0;
};
Pair TightPair() {
  Pair best;
  int64_t best_gap = INT64_MAX;
  for (int i = 0; i < 16; ++i) {
    timespec a{}, b{};
    clock_gettime(CLOCK_MONOTONIC_RAW, &a);
    uint64_t tsc = __rdtsc();
    clock_gettime(CLOCK_MONOTONIC_RAW, &b);
    int64_t gap = Ns(b) - Ns(a);
    if (gap < best_gap) {
      best_gap = gap;
      best = {Ns(a) + gap / 2, tsc};
    }
  }
  return best;
}

std::optional<uint64_t> MeasureTscKhz() {
  if (!HostTscIsConstant()) return std::nullopt;
  Pair start = TightPair();
  timespec pause{0, 50'000'000};
  while (nanosleep(&pause, &pause) != 0) {
  }
  Pair stop = TightPair();
  int64_t ns = stop.ns - start.ns;
  if (ns <= 0 || stop.tsc <= start.tsc) return std::nullopt;
  // cycles per millisecond = kHz
  double khz = double(stop.tsc - start.tsc) * 1e6 / double(ns);
  if (khz < 1e5 || khz > 1e8) return std::nullopt;  // not a plausible TSC (100 MHz … 100 GHz)
  return uint64_t(khz + 0.5);
}
#endif

}  // namespace

std::optional<uint64_t> HostTscKhz() {
#if defined(__x86_64__)
  static std::once_flag once;
  static std::optional<uint64_t> khz;
  std::call_once(once, [] { khz = MeasureTscKhz(); });
  return khz;
#else
  return std::nullopt;
#endif
}

std::vector<std::string> GuestClockWords(Arch arch, ResolvedAccel accel, Timing timing,
                                         const std::vector<std::string>& words,
                                         std::optional<uint64_t> host_tsc_khz) {
  if (arch != Arch::kX86_64 || accel != ResolvedAccel::kTcg) return {};
  auto given = [&](std::string_view prefix) {
    return std::any_of(words.begin(), words.end(), [&](const std::string& w) { return w.starts_with(prefix); });
  };
  std::vector<std::string> out;
  if (!given("tsc=")) out.push_back("tsc=reliable");
  if (timing == Timing::kWall && host_tsc_khz && !given("tsc_early_khz=")) {
    out.push_back(fmt::format("tsc_early_khz={}", *host_tsc_khz));
  }
  return out;
}

}  // namespace rfl::vm

#pragma once
// The x86 guest's clock under TCG. The lab's x86 kernels have no ACPI, so no
// HPET or PM timer, and two things follow (docs/agent-protocol.md):
// - nothing can watch the TSC, so the kernel never marks it valid for
//   high-resolution timers: hrtimers fire only on the tick and a profile
//   gets one sample per 4 ms. `tsc=reliable` lifts the watch (QEMU's TSC is
//   the host's cycle counter or, under icount, virtual nanoseconds: stable).
// - nothing can calibrate the TSC under TCG with real time ("could not
//   calculate TSC khz": refined-jiffies, CLOCK_MONOTONIC in 4 ms steps); the
//   PIT calibration works under icount. Without icount QEMU's guest TSC is the
//   host's cycle counter (cpu_get_ticks), so the host's TSC rate, passed as
//   `tsc_early_khz=`, is the guest's.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lab/core/arch.h"
#include "lab/core/boot_mode.h"
#include "lab/vm/boot.h"

namespace rfl::vm {

// The host's TSC rate in kHz, measured once against CLOCK_MONOTONIC_RAW
// (best of a few tight samples over ~50 ms). nullopt on a host that is not
// x86_64 or whose TSC is not constant-rate (/proc/cpuinfo constant_tsc).
std::optional<uint64_t> HostTscKhz();

// The command-line words a boot of `arch` under `accel` and `timing` needs
// for a fine-grained clock. An x86_64 guest under TCG: `tsc=reliable`, and
// under real time `tsc_early_khz=<host_tsc_khz>` when that is known (a LAVA
// worker's host is not: nullopt). Each only when `words` have no `tsc=`
// (`tsc_early_khz=`) of their own. None for KVM (kvm-clock, and the TSC rate
// from the hypervisor) or another arch. `host_tsc_khz` is HostTscKhz() for
// a boot on this machine.
std::vector<std::string> GuestClockWords(Arch arch, ResolvedAccel accel, Timing timing,
                                         const std::vector<std::string>& words,
                                         std::optional<uint64_t> host_tsc_khz);

}  // namespace rfl::vm

#pragma once
// Acceleration: resolves a scenario's `accel` (auto | kvm | tcg) for one
// architecture and timing mode. /dev/kvm can exist and still not run guests
// (nested virtualization without hardware support), so `auto` boots a tiny
// probe guest under KVM with a short timeout and falls back to TCG when it
// does not print its line. The probe's verdict is cached in the state dir for
// a few minutes (kKvmProbeCacheTtl) so a run probes once, not once per boot.
#include <chrono>
#include <filesystem>
#include <string>

#include "lab/core/arch.h"
#include "lab/core/boot_mode.h"
#include "lab/util/result.h"
#include "lab/vm/boot.h"
#include "lab/vm/hypervisor.h"

namespace rfl::vm {

inline constexpr std::chrono::seconds kKvmProbeCacheTtl{600};
inline constexpr std::chrono::seconds kKvmProbeTimeout{8};
// What the probe guest prints on its serial port when it ran.
inline constexpr std::string_view kProbeMarker = "rfl-kvm-probe ok";

struct KvmProbe {
  bool works = false;
  std::string reason;  // why: "probe guest printed its line in 0.4 s", "no output in 8 s under KVM"
  bool cached = false;
  double age_s = 0;    // of the cached verdict
};

struct AccelDecision {
  ResolvedAccel accel = ResolvedAccel::kTcg;
  std::string reason;
};

// The probe guest: a 100-byte x86 multiboot kernel that writes kProbeMarker
// to COM1 and resets the machine (a triple fault), so it needs no kernel
// build, no initrd and no device but the UART.
std::string ProbeGuestImage();

// Boots the probe guest under KVM (x86_64 hosts) unless a fresh cached
// verdict exists in <state_dir>/accel-probe.json.
[[nodiscard]] Result<KvmProbe> ProbeKvm(Hypervisor& hv, const std::filesystem::path& state_dir,
                                        bool use_cache = true);

// auto: foreign arch → TCG; icount timing → TCG (icount is a TCG feature);
// no usable /dev/kvm → TCG; else the probe decides. kvm: an error when icount
// is asked for or the probe fails. tcg: TCG.
[[nodiscard]] Result<AccelDecision> ResolveAccel(Hypervisor& hv, Arch arch, Accel requested,
                                                 Timing timing, const std::filesystem::path& state_dir);

}  // namespace rfl::vm

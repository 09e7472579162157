#pragma once
// One boot of one kernel: what to boot and how it ended. The hypervisor fills
// a BootResult from what it can see from outside the guest (lifecycle events,
// console activity, the agent channel's bytes); interpreting the agent's
// records and the console text is the classifier's job (classifier.h).
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "lab/core/arch.h"
#include "lab/core/boot_mode.h"
#include "lab/util/cancel.h"

namespace rfl::vm {

using Seconds = std::chrono::duration<double>;

// Acceleration after resolution (accel.h resolves `auto`).
enum class ResolvedAccel { kKvm, kTcg };
std::string_view ResolvedAccelName(ResolvedAccel a);  // "kvm", "tcg"

struct BootRequest {
  Arch arch = Arch::kX86_64;
  std::filesystem::path kernel;
  std::optional<std::filesystem::path> initrd;
  // Kernel command-line words, joined with spaces. The arch's console=
  // is prepended unless a word already starts with "console=".
  std::vector<std::string> cmdline;
  uint64_t memory_bytes = 512ull << 20;
  int cpus = 1;
  ResolvedAccel accel = ResolvedAccel::kTcg;
  Timing timing = Timing::kWall;
  // The whole boot, start to the guest's own end.
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  // Kill early when, after the guest's first output, neither the console nor
  // the agent channel produced a byte for this long (0 = never).
  std::chrono::milliseconds silence_timeout{std::chrono::seconds(60)};
  // The guest's serial console is written here (created, truncated).
  std::filesystem::path console_path;
  // Attach the agent's virtio-serial port (org.rfllab.agent.0).
  bool agent_channel = true;
  // Called for each complete line from the agent channel, with the time since
  // the boot started. Runs on the booting thread.
  std::function<void(std::string_view line, Seconds at)> on_agent_line;
  // Called for each complete console line as it appears (the agent's
  // console fallback, progress), with the time since the boot started.
  std::function<void(std::string_view line, Seconds at)> on_console_line;
  // Name prefix of the transient domain (a unique suffix is added).
  std::string name_prefix = "rfl-lab";
  // The VM is destroyed and Boot() returns kCancelled when this stops: Ctrl-C
  // by default; a run passes its own token (util/cancel.h).
  std::stop_token stop = InterruptToken();
};

// How the guest's run ended, as seen from the host.
enum class EndReason {
  kGuestStopped,  // the guest powered off or restarted (under on_reboot=destroy)
  kCrashed,       // libvirt reported a guest crash (pvpanic) or QEMU died
  kTimeout,       // ran past BootRequest::timeout
  kSilent,        // nothing printed for BootRequest::silence_timeout
  kCancelled,     // BootRequest::stop (Ctrl-C, or the run stopped)
};
std::string_view EndReasonName(EndReason r);  // guest-stopped, crashed, timeout, silent, cancelled

struct BootResult {
  EndReason end = EndReason::kGuestStopped;
  std::string domain_name;
  std::string end_detail;  // e.g. the libvirt lifecycle event: "stopped/shutdown"
  ResolvedAccel accel = ResolvedAccel::kTcg;
  // Milestones since the boot started (the domain create call).
  std::optional<Seconds> first_console_byte;
  std::optional<Seconds> first_agent_byte;
  Seconds total{0};
  std::filesystem::path console_path;
  uint64_t console_bytes = 0;
  std::string agent_bytes;  // everything the agent channel delivered, raw
  // Where it ran when that is not this machine: LAVA's "<worker>/<device>".
  std::string worker;
};

}  // namespace rfl::vm

#pragma once
// The LAVA job definition of one boot: deploy the lab's kernel and initramfs
// from URLs to the worker's tmpfs and boot them with LAVA's `qemu` method,
// with the QEMU options the libvirt path uses (machine, CPU, icount and the
// guest-time RTC, memory, CPUs, the command line; -no-reboot for libvirt's
// on_reboot=destroy). The boot ends at the agent's "rfl-agent: done: " line
// (a LAVA prompt); the agent's records reach the host through its console
// fallback, since LAVA's QEMU has no virtio-serial channel to the lab.
// Written with yaml-cpp, never by pasting strings (docs/lava.md).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "lab/core/arch.h"
#include "lab/core/boot_mode.h"
#include "lab/util/result.h"

namespace rfl::lava {

// The line the guest agent prints when it is done; LAVA's boot action waits
// for it.
inline constexpr const char* kAgentDonePrompt = "rfl-agent: done: ";

struct JobSpec {
  std::string name;                    // job_name: the lab's boot id
  std::string device_type = "qemu";
  std::vector<std::string> tags;       // device tags the job needs
  Arch arch = Arch::kX86_64;
  std::string kernel_url;
  std::optional<std::string> initrd_url;
  std::string cmdline;                 // joined, with console=
  uint64_t memory_bytes = 512ull << 20;
  int cpus = 1;
  Timing timing = Timing::kIcount;
  bool kvm = false;                    // x86_64 only: LAVA's template adds -cpu host -enable-kvm
  std::chrono::seconds boot_timeout{300};
};

// The job as YAML text. Kind::kInput when something cannot be passed to the
// worker's QEMU unchanged: a command-line word with a quote, backslash or
// space (LAVA splits its QEMU command line itself), KVM with icount or off
// x86_64, memory that is not whole MiB.
[[nodiscard]] Result<std::string> JobDefinition(const JobSpec& spec);

// The QEMU options the job adds to LAVA's `qemu` device type (context
// `extra_options`), in order; exposed for tests and docs.
std::vector<std::string> ExtraQemuOptions(const JobSpec& spec);

}  // namespace rfl::lava

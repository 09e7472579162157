#pragma once
// One measurement boot of one built kernel: the agent's initramfs with the
// boot's plan, a VM through the hypervisor, the agent's records decoded, the
// outcome classified, everything turned into a results::BootRecord (samples
// included) ready to be stored in one transaction.
#include <filesystem>
#include <string>
#include <vector>

#include "images/agent/protocol.h"
#include "lab/results/records.h"
#include "lab/scenario/model.h"
#include "lab/util/result.h"
#include "lab/vm/boot.h"
#include "lab/vm/classifier.h"
#include "lab/vm/hypervisor.h"

namespace rfl::pipeline {

struct BootJob {
  std::string boot_id;  // unique per attempt; names the boot's directory
  std::string build_key;
  std::string variant;
  std::string toolchain;
  std::string kernel_label;
  Arch arch = Arch::kX86_64;
  int repetition = 0;
  int attempt = 0;
  std::filesystem::path kernel_image;
  std::vector<scenario::Workload> workloads;
  scenario::BootSettings boot;
  vm::ResolvedAccel accel = vm::ResolvedAccel::kTcg;
  std::vector<std::string> allowed_warnings;
  std::filesystem::path boot_dir;   // console and initramfs go here
  std::filesystem::path cache_dir;  // cached base initramfs archives
};

struct BootJobOutput {
  results::BootRecord record;
  vm::Classification classification;
  vm::BootResult vm_result;
  bool cancelled = false;  // Ctrl-C ended the boot: do not store it
};

// Runs the boot. An error means the lab could not boot at all (no initramfs,
// libvirt failure); a guest that panics or hangs is a BootJobOutput.
[[nodiscard]] Result<BootJobOutput> RunBootJob(vm::Hypervisor& hv, const BootJob& job);

// The agent's records and the host's milestones as stored samples: every
// agent sample, plus boot/host_agent_ready_seconds (host time from VM start to
// the agent's hello) and boot/host_total_seconds.
std::vector<results::Sample> SamplesOf(const std::vector<agent::Record>& records, const vm::BootResult& result,
                                       std::optional<vm::Seconds> hello_at);

}  // namespace rfl::pipeline

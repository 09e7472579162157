#pragma once
// One boot of one built kernel — the only boot path: `rfl-lab run` and
// `rfl-lab boot` both call RunBootJob. The agent's initramfs with the boot's
// plan (or a given initramfs), a VM through the hypervisor, the agent's
// records decoded, the outcome classified, everything turned into a
// results::BootRecord (samples included) ready to be stored in one
// transaction.
#include <chrono>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "images/agent/plan.h"
#include "images/agent/protocol.h"
#include "lab/results/records.h"
#include "lab/scenario/model.h"
#include "lab/util/cancel.h"
#include "lab/util/result.h"
#include "lab/vm/agent_stream.h"
#include "lab/vm/boot.h"
#include "lab/vm/classifier.h"
#include "lab/vm/hypervisor.h"

namespace rfl::pipeline {

struct BootJob {
  std::string boot_id;  // unique per attempt; names the boot's directory
  // Identity, copied into the record.
  std::string build_key;
  std::string variant;
  std::string toolchain;
  std::string kernel_label;
  int repetition = 0;
  int attempt = 0;
  // What is booted, and how.
  Arch arch = Arch::kX86_64;
  std::filesystem::path kernel_image;
  std::vector<scenario::Workload> workloads;       // the agent's plan
  std::vector<results::WorkloadRun> skipped;       // recorded as skipped, not run
  std::optional<std::filesystem::path> initrd;     // boot this instead of the agent's (no records)
  std::optional<std::filesystem::path> agent_binary;  // default: image::AgentBinary(arch)
  // Attach the agent's virtio-serial port (the hypervisor may not have one:
  // LAVA's QEMU does not). Without it the agent's records come over the
  // console, which costs the guest instructions of its own (docs/lava.md).
  bool agent_channel = true;
  scenario::BootSettings boot;
  std::optional<std::chrono::milliseconds> silence_timeout;  // default: min(timeout, 60 s)
  vm::ResolvedAccel accel = vm::ResolvedAccel::kTcg;
  std::vector<std::string> allowed_warnings;
  std::filesystem::path boot_dir;   // console and initramfs go here
  std::filesystem::path cache_dir;  // cached base initramfs archives
  std::stop_token stop = InterruptToken();
};

struct BootJobOutput {
  results::BootRecord record;
  vm::Classification classification;
  vm::BootResult vm_result;
  vm::AgentStream agent;   // every decoded record, transport, hello/done times
  bool cancelled = false;  // the stop token ended the boot: do not store it
};

// The agent's plan for one boot; parameters are checked with the agent's own
// parser (the one workload schema, images/agent/workload_schema.h). Kind::kInput
// names the workload when a parameter is wrong.
[[nodiscard]] Result<agent::Plan> AgentPlanFor(const std::vector<scenario::Workload>& workloads,
                                               std::string boot_id);

// Runs the boot. An error means the lab could not boot at all (no initramfs,
// libvirt failure); a guest that panics or hangs is a BootJobOutput.
[[nodiscard]] Result<BootJobOutput> RunBootJob(vm::Hypervisor& hv, const BootJob& job);

// The classification as the boot record keeps it: the outcome, the title of
// the kernel report that decided it, and the evidence (reason, then excerpt).
void RecordClassification(const vm::Classification& c, results::BootRecord& rec);

// The agent's records and the host's milestones as stored samples: every
// agent sample, plus boot/host_agent_ready_seconds (host time from VM start to
// the agent's hello) and boot/host_first_console_seconds.
std::vector<results::Sample> SamplesOf(const std::vector<agent::Record>& records, const vm::BootResult& result,
                                       std::optional<vm::Seconds> hello_at);

}  // namespace rfl::pipeline

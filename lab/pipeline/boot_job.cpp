#include "lab/pipeline/boot_job.h"

#include <variant>

#include <fmt/format.h>

#include "lab/image/initramfs.h"
#include "lab/util/paths.h"
#include "lab/vm/agent_stream.h"

namespace rfl::pipeline {

std::vector<results::Sample> SamplesOf(const std::vector<agent::Record>& records, const vm::BootResult& result,
                                       std::optional<vm::Seconds> hello_at) {
  std::vector<results::Sample> out;
  for (const auto& r : records) {
    if (const auto* s = std::get_if<agent::Sample>(&r.body)) {
      out.push_back({s->workload, s->metric, s->unit, s->value, s->labels});
    }
  }
  if (hello_at) out.push_back({"boot", "host_agent_ready_seconds", "seconds", hello_at->count(), {}});
  if (result.first_console_byte)
    out.push_back({"boot", "host_first_console_seconds", "seconds", result.first_console_byte->count(), {}});
  return out;
}

Result<BootJobOutput> RunBootJob(vm::Hypervisor& hv, const BootJob& job) {
  if (auto st = EnsureDir(job.boot_dir); !st) return std::unexpected(st.error());
  auto plan = image::MakeAgentPlan(job.workloads, job.boot_id);
  if (!plan) return std::unexpected(plan.error().Wrap("agent plan"));
  auto initrd = image::BuildInitramfs(job.arch, *plan, job.cache_dir, job.boot_dir / "initramfs.cpio.gz");
  if (!initrd) return std::unexpected(initrd.error().Wrap("initramfs"));

  vm::BootRequest req;
  req.arch = job.arch;
  req.kernel = job.kernel_image;
  req.initrd = *initrd;
  req.cmdline = job.boot.cmdline;
  // A panic restarts the guest at once, which ends the VM (on_reboot=destroy)
  // instead of waiting for the deadline.
  req.cmdline.push_back("panic=-1");
  req.memory_bytes = job.boot.memory_bytes;
  req.cpus = job.boot.cpus;
  req.accel = job.accel;
  req.timing = job.boot.timing;
  req.timeout = job.boot.timeout;
  req.silence_timeout = std::min<std::chrono::milliseconds>(job.boot.timeout, std::chrono::seconds(60));
  req.console_path = job.boot_dir / "console.log";
  req.name_prefix = "rfl-lab-" + job.variant;
  vm::AgentStream agent;
  req.on_agent_line = [&](std::string_view line, vm::Seconds at) { agent.OnChannelLine(line, at); };
  req.on_console_line = [&](std::string_view line, vm::Seconds at) { agent.OnConsoleLine(line, at); };

  double started = results::NowUnix();
  auto booted = hv.Boot(req);
  if (!booted) {
    if (booted.error().kind == Error::Kind::kCancelled) {
      BootJobOutput out;
      out.cancelled = true;
      return out;
    }
    return std::unexpected(booted.error());
  }
  BootJobOutput out;
  out.vm_result = *booted;
  if (booted->end == vm::EndReason::kCancelled) {
    out.cancelled = true;
    return out;
  }
  std::string console = ReadFile(booted->console_path).value_or("");
  vm::ClassifyInput in;
  in.console = console;
  in.agent = agent.Summary();
  in.end = booted->end;
  in.end_detail = booted->end_detail;
  in.allowed_warnings = job.allowed_warnings;
  out.classification = vm::Classify(in);

  results::BootRecord& rec = out.record;
  rec.build_key = job.build_key;
  rec.variant = job.variant;
  rec.arch = std::string(ArchName(job.arch));
  rec.toolchain = job.toolchain;
  rec.kernel = job.kernel_label;
  rec.repetition = job.repetition;
  rec.attempt = job.attempt;
  rec.accel = std::string(vm::ResolvedAccelName(job.accel));
  rec.timing = std::string(TimingName(job.boot.timing));
  rec.outcome = out.classification.outcome;
  rec.evidence = out.classification.reason;
  if (!out.classification.excerpt.empty()) rec.evidence += "\n" + out.classification.excerpt;
  rec.console_path = booted->console_path.string();
  rec.started_unix = started;
  rec.ended_unix = results::NowUnix();
  rec.samples = SamplesOf(agent.records(), *booted, agent.hello_at());
  return out;
}

}  // namespace rfl::pipeline

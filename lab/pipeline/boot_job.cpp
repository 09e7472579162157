#include "lab/pipeline/boot_job.h"

#include <variant>

#include <fmt/format.h>

#include "lab/image/initramfs.h"
#include "lab/util/paths.h"

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

void RecordClassification(const vm::Classification& c, results::BootRecord& rec) {
  rec.outcome = c.outcome;
  rec.title = c.title;
  rec.evidence = c.reason;
  if (!c.excerpt.empty()) rec.evidence += "\n" + c.excerpt;
}

Result<agent::Plan> AgentPlanFor(const std::vector<scenario::Workload>& workloads, std::string boot_id) {
  agent::Plan plan;
  plan.boot_id = std::move(boot_id);
  for (const auto& w : workloads) {
    auto params = agent::ParseWorkloadParams(w.name, w.params.dump());
    if (!params) return FailAs(Error::Kind::kInput, "workload '{}': {}", w.name, params.error());
    plan.workloads.push_back(agent::PlanWorkload{w.name, static_cast<int>(w.timeout.count()), std::move(*params)});
  }
  return plan;
}

namespace {

// The workloads as the record keeps them: what the agent reported, and the
// ones the lab skipped before booting.
std::vector<results::WorkloadRun> WorkloadRuns(const std::vector<agent::Record>& records,
                                               const std::vector<results::WorkloadRun>& skipped) {
  std::vector<results::WorkloadRun> out = skipped;
  for (const auto& r : records) {
    if (const auto* w = std::get_if<agent::WorkloadResult>(&r.body)) {
      out.push_back({w->workload, std::string(agent::StatusName(w->status)), w->reason, w->duration_s});
    }
  }
  return out;
}

std::vector<results::AttributeSet> AttributesOf(const std::vector<agent::Record>& records) {
  std::vector<results::AttributeSet> out;
  for (const auto& r : records) {
    if (const auto* a = std::get_if<agent::Attributes>(&r.body)) out.push_back({a->workload, a->labels, a->values});
  }
  return out;
}

std::vector<results::TestCaseResult> TestCasesOf(const std::vector<agent::Record>& records) {
  std::vector<results::TestCaseResult> out;
  for (const auto& r : records) {
    if (const auto* t = std::get_if<agent::TestCase>(&r.body)) {
      out.push_back({t->workload, t->suite, t->name, t->status, t->reason, t->diagnostics});
    }
  }
  return out;
}

}  // namespace

Result<BootJobOutput> RunBootJob(vm::Hypervisor& hv, const BootJob& job) {
  if (auto st = EnsureDir(job.boot_dir); !st) return std::unexpected(st.error());
  std::filesystem::path initrd;
  if (job.initrd) {
    initrd = *job.initrd;
  } else {
    auto plan = AgentPlanFor(job.workloads, job.boot_id);
    if (!plan) return std::unexpected(plan.error().Wrap("agent plan"));
    auto agent = job.agent_binary.value_or(image::AgentBinary(job.arch));
    auto built = image::BuildInitramfsWithAgent(agent, *plan, job.cache_dir, job.boot_dir / "initramfs.cpio.gz");
    if (!built) return std::unexpected(built.error().Wrap("initramfs"));
    initrd = *built;
  }

  vm::BootRequest req;
  req.arch = job.arch;
  req.kernel = job.kernel_image;
  req.initrd = initrd;
  req.cmdline = job.boot.cmdline;
  req.agent_channel = job.agent_channel;
  // A panic restarts the guest at once, which ends the VM (on_reboot=destroy)
  // instead of waiting for the deadline — unless the user chose otherwise.
  bool has_panic = false;
  for (const auto& w : req.cmdline) has_panic |= w.starts_with("panic=");
  if (!has_panic) req.cmdline.push_back("panic=-1");
  req.memory_bytes = job.boot.memory_bytes;
  req.cpus = job.boot.cpus;
  req.accel = job.accel;
  req.timing = job.boot.timing;
  req.timeout = job.boot.timeout;
  req.silence_timeout =
      job.silence_timeout.value_or(std::min<std::chrono::milliseconds>(job.boot.timeout, std::chrono::seconds(60)));
  req.console_path = job.boot_dir / "console.log";
  req.name_prefix = job.variant.empty() ? "rfl-lab" : "rfl-lab-" + job.variant;
  req.stop = job.stop;
  BootJobOutput out;
  req.on_agent_line = [&](std::string_view line, vm::Seconds at) { out.agent.OnChannelLine(line, at); };
  req.on_console_line = [&](std::string_view line, vm::Seconds at) { out.agent.OnConsoleLine(line, at); };

  double started = results::NowUnix();
  auto booted = hv.Boot(req);
  if (!booted) {
    if (booted.error().kind == Error::Kind::kCancelled) {
      out.cancelled = true;
      return out;
    }
    return std::unexpected(booted.error());
  }
  out.vm_result = *booted;
  if (booted->end == vm::EndReason::kCancelled) {
    out.cancelled = true;
    return out;
  }
  std::string console = ReadFile(booted->console_path).value_or("");
  vm::ClassifyInput in;
  in.console = console;
  if (!job.initrd) in.agent = out.agent.Summary();
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
  RecordClassification(out.classification, rec);
  rec.console_path = booted->console_path.string();
  rec.worker = booted->worker;
  rec.started_unix = started;
  rec.ended_unix = results::NowUnix();
  rec.samples = SamplesOf(out.agent.records(), *booted, out.agent.hello_at());
  rec.workloads = WorkloadRuns(out.agent.records(), job.skipped);
  rec.attributes = AttributesOf(out.agent.records());
  rec.test_cases = TestCasesOf(out.agent.records());
  return out;
}

}  // namespace rfl::pipeline

// rfl-lab boot --kernel IMAGE [--arch A] [--workload W]... [--initrd X]
//              [--append WORDS]... [--accel auto|kvm|tcg] [--timing wall|icount]
// Boots any kernel image once with the guest agent (or a given initramfs),
// then prints how it ended, its milestones, the agent's results and the
// outcome class with its evidence. The quick path a kernel developer runs many
// times a day. Exit 0 passed, 1 any other outcome, 2 bad arguments, 3 the lab
// could not work, 130 Ctrl-C (the VM is destroyed first).
#include <iostream>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "lab/cli/commands.h"
#include "lab/image/initramfs.h"
#include "lab/util/cancel.h"
#include "lab/util/exit_codes.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/vm/accel.h"
#include "lab/vm/agent_stream.h"
#include "lab/vm/arch_profile.h"
#include "lab/vm/classifier.h"
#include "lab/vm/hypervisor.h"

namespace rfl::cli {
namespace fs = std::filesystem;

namespace {

struct BootOptions {
  std::string kernel;
  std::string arch;
  std::vector<std::string> workloads;
  std::optional<std::string> initrd;
  std::vector<std::string> append;
  std::string accel = "auto";
  std::string timing = "wall";
  uint64_t memory_mib = 512;
  int cpus = 1;
  int timeout_s = 120;
  int silence_s = 60;
  std::optional<std::string> connect;
  std::vector<std::string> allowed_warnings;
  bool json = false;
};

std::vector<std::string> SplitWords(const std::vector<std::string>& chunks) {
  std::vector<std::string> words;
  for (const auto& chunk : chunks) {
    size_t i = 0;
    while (i < chunk.size()) {
      while (i < chunk.size() && chunk[i] == ' ') ++i;
      size_t j = chunk.find(' ', i);
      if (j == std::string::npos) j = chunk.size();
      if (j > i) words.push_back(chunk.substr(i, j - i));
      i = j;
    }
  }
  return words;
}

std::string Ms(const std::optional<vm::Seconds>& s) {
  return s ? fmt::format("{:.3f} s", s->count()) : std::string("—");
}

int Run(const BootOptions& o, CliContext& ctx) {
  LabDirs dirs = ctx.Dirs();
  std::optional<Arch> arch = o.arch.empty() ? vm::HostArch() : ParseArch(o.arch);
  if (!arch) {
    std::cerr << fmt::format("rfl-lab boot: unknown arch '{}' (one of {})\n", o.arch, fmt::join(KnownArchNames(), ", "));
    return kExitBadInput;
  }
  Accel accel_req;
  if (o.accel == "auto") accel_req = Accel::kAuto;
  else if (o.accel == "kvm") accel_req = Accel::kKvm;
  else if (o.accel == "tcg") accel_req = Accel::kTcg;
  else {
    std::cerr << fmt::format("rfl-lab boot: --accel must be auto, kvm or tcg, not '{}'\n", o.accel);
    return kExitBadInput;
  }
  if (o.timing != "wall" && o.timing != "icount") {
    std::cerr << fmt::format("rfl-lab boot: --timing must be wall or icount, not '{}'\n", o.timing);
    return kExitBadInput;
  }
  Timing timing = o.timing == "wall" ? Timing::kWall : Timing::kIcount;

  std::string uri = o.connect.value_or(vm::DefaultConnectUri(dirs.state));
  auto hv = vm::OpenLibvirt(uri);
  if (!hv) {
    std::cerr << fmt::format("rfl-lab boot: {}\n", hv.error().message);
    return kExitLabFailure;
  }
  auto accel = vm::ResolveAccel(**hv, *arch, accel_req, timing, dirs.state);
  if (!accel) {
    std::cerr << fmt::format("rfl-lab boot: {}\n", accel.error().message);
    if (accel.error().kind == Error::Kind::kCancelled) return kExitInterrupted;
    return accel.error().kind == Error::Kind::kInput ? kExitBadInput : kExitLabFailure;
  }

  // One directory per boot under the state dir: console, initramfs.
  std::string boot_id = fmt::format("boot-{}", KeyHasher()
                                                   .Add(o.kernel)
                                                   .Add(std::to_string(std::chrono::system_clock::now().time_since_epoch().count()))
                                                   .Short());
  fs::path boot_dir = dirs.state / "boots" / boot_id;
  if (auto s = EnsureDir(boot_dir); !s) {
    std::cerr << fmt::format("rfl-lab boot: {}\n", s.error().message);
    return kExitLabFailure;
  }

  const bool with_agent = !o.initrd.has_value();
  fs::path initrd;
  if (with_agent) {
    std::vector<scenario::Workload> workloads;
    for (const auto& name : o.workloads.empty() ? std::vector<std::string>{"boot"} : o.workloads) {
      workloads.push_back(scenario::Workload{.name = name});
    }
    auto plan = image::MakeAgentPlan(workloads, boot_id);
    if (!plan) {
      std::cerr << fmt::format("rfl-lab boot: {}\n", plan.error().message);
      return kExitBadInput;
    }
    auto built = image::BuildInitramfs(*arch, *plan, dirs.cache, boot_dir / "initramfs.cpio.gz");
    if (!built) {
      std::cerr << fmt::format("rfl-lab boot: initramfs: {}\n", built.error().message);
      return kExitLabFailure;
    }
    initrd = *built;
  } else {
    if (!o.workloads.empty()) {
      std::cerr << "rfl-lab boot: --workload needs the agent's initramfs; it cannot be combined with --initrd\n";
      return kExitBadInput;
    }
    initrd = *o.initrd;
  }

  vm::BootRequest req;
  req.arch = *arch;
  req.kernel = o.kernel;
  req.initrd = initrd;
  req.cmdline = SplitWords(o.append);
  // A panic restarts the guest at once, which ends the VM (on_reboot=destroy)
  // instead of waiting for the deadline.
  bool has_panic = false;
  for (const auto& w : req.cmdline) has_panic |= w.starts_with("panic=");
  if (!has_panic) req.cmdline.push_back("panic=-1");
  req.memory_bytes = o.memory_mib << 20;
  req.cpus = o.cpus;
  req.accel = accel->accel;
  req.timing = timing;
  req.timeout = std::chrono::seconds(o.timeout_s);
  req.silence_timeout = std::chrono::seconds(o.silence_s);
  req.console_path = boot_dir / "console.log";
  vm::AgentStream agent;
  req.on_agent_line = [&](std::string_view line, vm::Seconds at) { agent.OnChannelLine(line, at); };
  req.on_console_line = [&](std::string_view line, vm::Seconds at) { agent.OnConsoleLine(line, at); };

  if (!o.json) {
    std::cout << fmt::format("booting {} ({}, {}, {} timing) — console {}\n", o.kernel, ArchName(*arch),
                             vm::ResolvedAccelName(accel->accel), o.timing, req.console_path.string());
  }
  auto booted = (*hv)->Boot(req);
  if (!booted) {
    std::cerr << fmt::format("rfl-lab boot: {}\n", booted.error().message);
    if (booted.error().kind == Error::Kind::kCancelled) return kExitInterrupted;
    return booted.error().kind == Error::Kind::kNotFound ? kExitBadInput : kExitLabFailure;
  }
  if (booted->end == vm::EndReason::kCancelled) {
    std::cerr << fmt::format("rfl-lab boot: interrupted; VM {} destroyed after {:.1f} s\n", booted->domain_name,
                             booted->total.count());
    return kExitInterrupted;
  }

  auto console = ReadFile(booted->console_path).value_or("");
  vm::ClassifyInput in;
  in.console = console;
  if (with_agent) in.agent = agent.Summary();
  in.end = booted->end;
  in.end_detail = booted->end_detail;
  in.allowed_warnings = o.allowed_warnings;
  vm::Classification c = vm::Classify(in);

  if (o.json) {
    nlohmann::json samples = nlohmann::json::array();
    nlohmann::json results = nlohmann::json::array();
    for (const auto& r : agent.records()) {
      if (const auto* s = std::get_if<agent::Sample>(&r.body)) {
        samples.push_back({{"workload", s->workload}, {"metric", s->metric}, {"unit", s->unit}, {"value", s->value}, {"labels", s->labels}});
      } else if (const auto* w = std::get_if<agent::WorkloadResult>(&r.body)) {
        results.push_back({{"workload", w->workload}, {"status", agent::StatusName(w->status)}, {"reason", w->reason}, {"duration_s", w->duration_s}});
      }
    }
    auto opt_s = [](const std::optional<vm::Seconds>& s) { return s ? nlohmann::json(s->count()) : nlohmann::json(nullptr); };
    nlohmann::json j = {{"class", BootOutcomeName(c.outcome)}, {"reason", c.reason}, {"evidence_line", c.line},
                        {"excerpt", c.excerpt}, {"end", vm::EndReasonName(booted->end)}, {"end_detail", booted->end_detail},
                        {"accel", vm::ResolvedAccelName(accel->accel)}, {"accel_reason", accel->reason},
                        {"console", booted->console_path.string()}, {"domain", booted->domain_name},
                        {"first_console_byte_s", opt_s(booted->first_console_byte)}, {"agent_hello_s", opt_s(agent.hello_at())},
                        {"agent_done_s", opt_s(agent.done_at())}, {"total_s", booted->total.count()},
                        {"agent_transport", agent.transport()}, {"agent_rejected_lines", agent.rejected_lines()},
                        {"workloads", results}, {"samples", samples}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << fmt::format("ended: {} ({}) after {:.2f} s; accel {}: {}\n", vm::EndReasonName(booted->end),
                             booted->end_detail, booted->total.count(), vm::ResolvedAccelName(accel->accel), accel->reason);
    std::cout << fmt::format("milestones: first console byte {}, agent hello {}, agent done {}\n",
                             Ms(booted->first_console_byte), Ms(agent.hello_at()), Ms(agent.done_at()));
    if (with_agent) {
      std::cout << fmt::format("agent: {} record(s) over {}{}\n", agent.records().size(), agent.transport(),
                               agent.rejected_lines() > 0 ? fmt::format(", {} mangled line(s) rejected", agent.rejected_lines()) : "");
      for (const auto& r : agent.records()) {
        if (const auto* w = std::get_if<agent::WorkloadResult>(&r.body)) {
          std::cout << fmt::format("  {:<14} {:<8} {:.2f} s{}\n", w->workload, agent::StatusName(w->status), w->duration_s,
                                   w->reason.empty() ? "" : "  " + w->reason);
        }
      }
      for (const auto& r : agent.records()) {
        if (const auto* s = std::get_if<agent::Sample>(&r.body)) {
          std::string labels;
          for (const auto& [k, v] : s->labels) labels += fmt::format(" {}={}", k, v);
          std::cout << fmt::format("  {}/{}{} = {:g} {}\n", s->workload, s->metric, labels, s->value, s->unit);
        }
      }
    }
    std::cout << fmt::format("outcome: {} — {}\n", BootOutcomeName(c.outcome), c.reason);
    if (c.outcome != BootOutcome::kPassed && !c.excerpt.empty()) {
      std::cout << fmt::format("--- console around line {} ---\n{}", c.line, c.excerpt);
    }
  }
  return c.outcome == BootOutcome::kPassed ? kExitOk : kExitFindings;
}

}  // namespace

void RegisterBootCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("boot", "Boot one kernel image with the guest agent and print the results");
  auto o = std::make_shared<BootOptions>();
  cmd->add_option("--kernel", o->kernel, "Kernel image (bzImage / Image)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--arch", o->arch, "x86_64 | arm64 | riscv64 (default: the host's)");
  cmd->add_option("--workload", o->workloads, "Workload for the agent (repeatable; default: boot)");
  cmd->add_option("--initrd", o->initrd, "Boot this initramfs instead of the agent's (no agent records)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--append", o->append, "Kernel command-line words (repeatable; panic=-1 is added unless given)");
  cmd->add_option("--accel", o->accel, "auto | kvm | tcg")->capture_default_str();
  cmd->add_option("--timing", o->timing, "wall | icount")->capture_default_str();
  cmd->add_option("--memory", o->memory_mib, "Guest memory in MiB")->capture_default_str();
  cmd->add_option("--cpus", o->cpus, "Guest CPUs")->capture_default_str();
  cmd->add_option("--timeout", o->timeout_s, "Seconds before the VM is destroyed")->capture_default_str();
  cmd->add_option("--silence", o->silence_s, "Destroy the VM after this many seconds without output (0: never)")
      ->capture_default_str();
  cmd->add_option("--connect", o->connect, "libvirt URI (default: the embedded driver under the state dir)");
  cmd->add_option("--allow-warning", o->allowed_warnings, "Regex excusing matching kernel WARNINGs (repeatable)");
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->callback([&ctx, o] { ctx.exit_code = Run(*o, ctx); });
}

}  // namespace rfl::cli

// rfl-lab boot --kernel IMAGE [--arch A] [--workload W]... [--initrd X]
//              [--append WORDS]... [--accel auto|kvm|tcg] [--timing wall|icount]
//              [--profile [--system-map FILE] [--profile-top N]]
// Boots any kernel image once with the guest agent (or a given initramfs),
// through the same boot job as `rfl-lab run` (pipeline/boot_job.h), then
// prints how it ended, its milestones, the agent's results and the outcome
// class with its evidence. With --profile the binder and block workloads
// sample their measured loops inside the guest (images/agent/profile.h) and
// the top kernel functions of each loop are printed, symbolized with the
// kernel's System.map (lab/profile/). The quick path a kernel developer runs many times
// a day. Exit 0 passed, 1 any other outcome, 2 bad arguments, 3 the lab could
// not work, 130 Ctrl-C (the VM is destroyed first).
#include <cmath>
#include <iostream>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "lab/cli/backend.h"
#include "lab/cli/commands.h"
#include "lab/pipeline/boot_job.h"
#include "lab/profile/function_profile.h"
#include "lab/profile/system_map.h"
#include "lab/scenario/load.h"
#include "lab/util/hash.h"
#include "lab/util/paths.h"
#include "lab/vm/accel.h"
#include "lab/vm/arch_profile.h"
#include "lab/vm/kernel_image.h"

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
  BackendOptions backend;
  std::vector<std::string> allowed_warnings;
  bool json = false;
  bool profile = false;
  std::optional<std::string> system_map;
  size_t profile_top = 25;
};

// The cpu-clock sampling period --profile asks for: ~10 µs, prime, so it is
// no multiple of a round number of instructions the loop might take.
constexpr uint64_t kProfilePeriodNs = 10007;

// How `profile` records are shown: symbols (null when no System.map was
// found), why not, and how many rows.
struct ProfileView {
  const profile::SystemMap* map = nullptr;
  std::string map_note;
  size_t top = 25;
  bool icount = false;
};

// The per-operation time measured in the same loop as the profile (the
// sample with the same workload and labels), for the estimate column.
std::optional<profile::Estimate> EstimateFor(const agent::Profile& p, const std::vector<agent::Record>& records,
                                             bool icount) {
  auto metric = profile::PerOpMetric(p.workload);
  if (!metric) return std::nullopt;
  for (const auto& r : records) {
    const auto* s = std::get_if<agent::Sample>(&r.body);
    if (s && s->workload == p.workload && s->metric == *metric && s->labels == p.labels) {
      return profile::Estimate{s->metric, std::round(s->value * 1e9), icount};
    }
  }
  return std::nullopt;
}

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

void PrintJson(const pipeline::BootJobOutput& out, const vm::AccelDecision& accel, const ProfileView& view) {
  const auto& agent = out.agent;
  nlohmann::json samples = nlohmann::json::array();
  nlohmann::json results = nlohmann::json::array();
  nlohmann::json attributes = nlohmann::json::array();
  nlohmann::json profiles = nlohmann::json::array();
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& r : agent.records()) {
    if (const auto* l = std::get_if<agent::Log>(&r.body)) logs.push_back({{"level", l->level}, {"message", l->message}});
    if (const auto* p = std::get_if<agent::Profile>(&r.body)) {
      profiles.push_back(profile::ToJson(profile::Aggregate(*p, view.map), EstimateFor(*p, agent.records(), view.icount)));
    }
    if (const auto* s = std::get_if<agent::Sample>(&r.body)) {
      samples.push_back({{"workload", s->workload}, {"metric", s->metric}, {"unit", s->unit}, {"value", s->value},
                         {"labels", s->labels}});
    } else if (const auto* at = std::get_if<agent::Attributes>(&r.body)) {
      attributes.push_back({{"workload", at->workload}, {"labels", at->labels}, {"values", at->values}});
    } else if (const auto* w = std::get_if<agent::WorkloadResult>(&r.body)) {
      results.push_back({{"workload", w->workload}, {"status", agent::StatusName(w->status)}, {"reason", w->reason},
                         {"duration_s", w->duration_s}});
    }
  }
  auto opt_s = [](const std::optional<vm::Seconds>& s) { return s ? nlohmann::json(s->count()) : nlohmann::json(nullptr); };
  const auto& c = out.classification;
  const auto& b = out.vm_result;
  nlohmann::json j = {{"class", BootOutcomeName(c.outcome)}, {"reason", c.reason}, {"evidence_line", c.line},
                      {"excerpt", c.excerpt}, {"end", vm::EndReasonName(b.end)}, {"end_detail", b.end_detail},
                      {"accel", vm::ResolvedAccelName(accel.accel)}, {"accel_reason", accel.reason},
                      {"console", b.console_path.string()}, {"domain", b.domain_name},
                      {"first_console_byte_s", opt_s(b.first_console_byte)}, {"agent_hello_s", opt_s(agent.hello_at())},
                      {"agent_done_s", opt_s(agent.done_at())}, {"total_s", b.total.count()},
                      {"agent_transport", agent.transport()}, {"agent_rejected_lines", agent.rejected_lines()},
                      {"workloads", results}, {"samples", samples}, {"attributes", attributes}, {"logs", logs}};
  if (!profiles.empty()) {
    j["profiles"] = profiles;
    if (!view.map_note.empty()) j["profile_note"] = view.map_note;
  }
  std::cout << nlohmann::json(j).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void PrintText(const pipeline::BootJobOutput& out, const vm::AccelDecision& accel, bool with_agent,
               const ProfileView& view) {
  const auto& agent = out.agent;
  const auto& b = out.vm_result;
  const auto& c = out.classification;
  std::cout << fmt::format("ended: {} ({}) after {:.2f} s; accel {}: {}\n", vm::EndReasonName(b.end), b.end_detail,
                           b.total.count(), vm::ResolvedAccelName(accel.accel), accel.reason);
  std::cout << fmt::format("milestones: first console byte {}, agent hello {}, agent done {}\n",
                           Ms(b.first_console_byte), Ms(agent.hello_at()), Ms(agent.done_at()));
  if (with_agent) {
    std::cout << fmt::format("agent: {} record(s) over {}{}\n", agent.records().size(), agent.transport(),
                             agent.rejected_lines() > 0
                                 ? fmt::format(", {} mangled line(s) rejected", agent.rejected_lines())
                                 : "");
    for (const auto& r : agent.records()) {
      if (const auto* w = std::get_if<agent::WorkloadResult>(&r.body)) {
        std::cout << fmt::format("  {:<14} {:<8} {:.2f} s{}\n", w->workload, agent::StatusName(w->status),
                                 w->duration_s, w->reason.empty() ? "" : "  " + w->reason);
      }
    }
    for (const auto& r : agent.records()) {
      if (const auto* s = std::get_if<agent::Sample>(&r.body)) {
        std::string labels;
        for (const auto& [k, v] : s->labels) labels += fmt::format(" {}={}", k, v);
        std::cout << fmt::format("  {}/{}{} = {:g} {}\n", s->workload, s->metric, labels, s->value, s->unit);
      }
    }
    for (const auto& r : agent.records()) {
      if (const auto* at = std::get_if<agent::Attributes>(&r.body)) {
        std::string labels;
        for (const auto& [k, v] : at->labels) labels += fmt::format(" {}={}", k, v);
        std::cout << fmt::format("  {} set up{}: {} attribute(s) (--json lists them)\n", at->workload, labels,
                                 at->values.size());
      }
    }
    // The agent's own warnings: a clock coarser than 1 us, a sparse profile.
    for (const auto& r : agent.records()) {
      if (const auto* l = std::get_if<agent::Log>(&r.body); l && l->level != "info") {
        std::cout << fmt::format("  {}: {}\n", l->level, l->message);
      }
    }
    bool noted = false;
    for (const auto& r : agent.records()) {
      if (const auto* p = std::get_if<agent::Profile>(&r.body)) {
        if (!noted && !view.map_note.empty()) std::cout << "note: " << view.map_note << "\n";
        noted = true;
        std::cout << profile::RenderTable(profile::Aggregate(*p, view.map), view.top,
                                          EstimateFor(*p, agent.records(), view.icount));
      }
    }
  }
  std::cout << fmt::format("outcome: {} — {}\n", BootOutcomeName(c.outcome), c.reason);
  if (c.outcome != BootOutcome::kPassed && !c.excerpt.empty()) {
    std::cout << fmt::format("--- console around line {} ---\n{}", c.line, c.excerpt);
  }
}

void Run(const BootOptions& o, CliContext& ctx) {
  LabDirs dirs = ctx.Dirs();
  std::optional<Arch> arch = o.arch.empty() ? HostArch() : ParseArch(o.arch);
  if (!arch) {
    return ctx.Fail(ExitCode::kBadInput,
                    fmt::format("unknown arch '{}' (one of {})", o.arch, fmt::join(KnownArchNames(), ", ")));
  }
  auto accel_req = ParseAccel(o.accel);
  if (!accel_req) return ctx.Fail(ExitCode::kBadInput, fmt::format("--accel must be auto, kvm or tcg, not '{}'", o.accel));
  auto timing = ParseTiming(o.timing);
  if (!timing) return ctx.Fail(ExitCode::kBadInput, fmt::format("--timing must be wall or icount, not '{}'", o.timing));
  if (auto st = vm::CheckKernelImage(o.kernel, *arch); !st) return ctx.Fail(st.error());
  const bool with_agent = !o.initrd.has_value();
  if (!with_agent && !o.workloads.empty()) {
    return ctx.Fail(ExitCode::kBadInput, "--workload needs the agent's initramfs; it cannot be combined with --initrd");
  }

  pipeline::BootJob job;
  for (const auto& name : o.workloads.empty() ? std::vector<std::string>{"boot"} : o.workloads) {
    // The same workload, with the same defaults, as a scenario's `- NAME`.
    auto w = scenario::DefaultWorkload(name);
    if (!w) {
      return ctx.Fail(ExitCode::kBadInput,
                      fmt::format("unknown workload '{}' (one of {})", name, fmt::join(scenario::KnownWorkloads(), ", ")));
    }
    job.workloads.push_back(std::move(*w));
  }
  ProfileView view{nullptr, "", o.profile_top, *timing == Timing::kIcount};
  std::optional<profile::SystemMap> symbols;
  if (o.profile) {
    bool any = false;
    for (auto& w : job.workloads) {
      if (!profile::PerOpMetric(w.name)) continue;
      w.params["profile_period_ns"] = kProfilePeriodNs;
      any = true;
    }
    if (!any) return ctx.Fail(ExitCode::kBadInput, "--profile needs --workload binder or --workload block");
    fs::path map_path = o.system_map ? fs::path(*o.system_map) : fs::path(o.kernel).parent_path() / "System.map";
    auto loaded = profile::SystemMap::Load(map_path);
    if (loaded) {
      symbols = std::move(*loaded);
      view.map = &*symbols;
    } else if (o.system_map) {
      return ctx.Fail(ExitCode::kBadInput, loaded.error().message);
    } else {
      view.map_note = fmt::format("no System.map next to the kernel ({}): kernel addresses are not symbolized; "
                                  "give one with --system-map",
                                  loaded.error().message);
    }
  }

  auto hv = OpenBackend(o.backend, dirs);
  if (!hv) return ctx.Fail(hv.error());
  auto accel = vm::ResolveAccel(**hv, *arch, *accel_req, *timing, dirs.state);
  if (!accel) return ctx.Fail(accel.error());

  // One directory per boot under the state dir: console, initramfs.
  job.boot_id = fmt::format(
      "boot-{}",
      KeyHasher().Add(o.kernel).Add(std::to_string(std::chrono::system_clock::now().time_since_epoch().count())).Short());
  job.arch = *arch;
  job.kernel_image = o.kernel;
  if (o.initrd) job.initrd = fs::path(*o.initrd);
  job.boot.cmdline = SplitWords(o.append);
  job.boot.memory_bytes = o.memory_mib << 20;
  job.boot.cpus = o.cpus;
  job.boot.timing = *timing;
  job.boot.timeout = std::chrono::seconds(o.timeout_s);
  job.silence_timeout = std::chrono::seconds(o.silence_s);
  job.accel = accel->accel;
  job.allowed_warnings = o.allowed_warnings;
  job.boot_dir = dirs.state / "boots" / job.boot_id;
  job.cache_dir = dirs.cache;

  if (!o.json) {
    std::cout << fmt::format("booting {} ({}, {}, {} timing) — console {}\n", o.kernel, ArchName(*arch),
                             vm::ResolvedAccelName(accel->accel), o.timing, (job.boot_dir / "console.log").string());
  }
  auto out = pipeline::RunBootJob(**hv, job);
  if (!out) return ctx.Fail(out.error());
  if (out->cancelled) {
    return ctx.Fail(ExitCode::kInterrupted, fmt::format("interrupted; VM {} destroyed after {:.1f} s",
                                                        out->vm_result.domain_name, out->vm_result.total.count()));
  }
  if (o.json) PrintJson(*out, *accel, view);
  else PrintText(*out, *accel, with_agent, view);
  ctx.Raise(ExitCodeForFindings(out->classification.outcome != BootOutcome::kPassed));
}

}  // namespace

void RegisterBootCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("boot", "Boot one kernel image with the guest agent and print the results");
  auto o = std::make_shared<BootOptions>();
  cmd->add_option("--kernel", o->kernel, "Kernel image (bzImage / Image)")->required();
  cmd->add_option("--arch", o->arch, "x86_64 | arm64 | riscv64 (default: the host's)");
  cmd->add_option("--workload", o->workloads, "Workload for the agent (repeatable; default: boot)");
  cmd->add_option("--initrd", o->initrd, "Boot this initramfs instead of the agent's (no agent records)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--append", o->append, "Kernel command-line words (repeatable; panic=-1 is added unless given)");
  cmd->add_option("--accel", o->accel, "auto | kvm | tcg")->capture_default_str();
  cmd->add_option("--timing", o->timing, "wall | icount")->capture_default_str();
  cmd->add_option("--memory", o->memory_mib, "Guest memory in MiB (64 to 65536)")
      ->check(CLI::Range(uint64_t{64}, uint64_t{65536}))
      ->capture_default_str();
  cmd->add_option("--cpus", o->cpus, "Guest CPUs (1 to 64)")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--timeout", o->timeout_s, "Seconds before the VM is destroyed (1 to 86400)")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_option("--silence", o->silence_s, "Destroy the VM after this many seconds without output (0: never)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  AddBackendOptions(cmd, o->backend);
  cmd->add_option("--allow-warning", o->allowed_warnings, "Regex excusing matching kernel WARNINGs (repeatable)");
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->add_flag("--profile", o->profile,
                "Sample the kernel during the binder/block measured loops (every 10007 ns) and print the top functions");
  cmd->add_option("--system-map", o->system_map,
                  "System.map to symbolize the profile with (default: System.map next to --kernel)");
  cmd->add_option("--profile-top", o->profile_top, "Functions per profile in text mode (--json: all)")
      ->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  cmd->callback([&ctx, o] { Run(*o, ctx); });
}

}  // namespace rfl::cli

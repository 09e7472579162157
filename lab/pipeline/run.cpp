#include "lab/pipeline/run.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "images/agent/workload_schema.h"
#include "lab/kernel/kconfig.h"
#include "lab/kernel/source.h"
#include "lab/pipeline/boot_job.h"
#include "lab/pipeline/code_check.h"
#include "lab/pipeline/scheduler.h"
#include "lab/results/comparison.h"
#include "lab/util/build_info.h"
#include "lab/util/hash.h"
#include "lab/vm/accel.h"

namespace rfl::pipeline {
namespace fs = std::filesystem;
using scenario::BuildSpec;

int ParallelBootSlots(uint64_t guest_memory_bytes) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  uint64_t available = 0;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (meminfo >> key >> kb >> unit) {
    if (key == "MemAvailable:") available = kb * 1024;
  }
  uint64_t per_vm = guest_memory_bytes + (512ull << 20);
  uint64_t host_reserve = 2ull << 30;
  long by_memory = available > host_reserve ? static_cast<long>((available - host_reserve) / per_vm) : 1;
  return static_cast<int>(std::max(1L, std::min(cores, by_memory)));
}

namespace {

std::string HostName() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

results::RunInfo MakeRunInfo(const scenario::Scenario& s, const std::string& corner) {
  results::RunInfo info;
  info.corner = corner;
  info.scenario_name = s.name;
  info.scenario_text = s.text;
  info.scenario_hash = Sha256Hex(s.text);
  info.lab_version = build_info::kVersion;
  info.host = HostName();
  info.timing = std::string(TimingName(s.boot.timing));
  info.baseline = s.baseline;
  info.noise = s.thresholds.noise;
  info.alpha = s.thresholds.alpha;
  info.repeat_min = s.repeat.min;
  info.repeat_max = s.repeat.max;
  for (const auto& v : s.variants) info.variants.push_back({v.name, v.expect, v.rustflags, v.kconfig});
  info.started_unix = results::NowUnix();
  return info;
}

results::BuildRecord MakeBuildRecord(const BuildSpec& spec, const kernel::BuildOutcome& o) {
  results::BuildRecord r;
  r.key = spec.key;
  r.variants = spec.variants;
  r.arch = std::string(ArchName(spec.arch));
  r.toolchain = spec.toolchain;
  r.kernel = spec.source.Label();
  r.duration_seconds = o.seconds;
  if (o.status == kernel::BuildOutcome::Status::kFailed) {
    r.outcome = spec.expect == Expect::kBuildFailure ? results::BuildOutcome::kExpectedFailure
                                                     : results::BuildOutcome::kFailed;
    if (o.failure) {
      r.failure_class = std::string(kernel::FailureClassName(o.failure->cls));
      std::string excerpt = o.failure->message;
      for (const auto& line : o.failure->excerpt) excerpt += "\n" + line;
      excerpt += "\nlog: " + o.failure->log.string();
      r.failure_excerpt = excerpt;
    }
    return r;
  }
  r.outcome = o.status == kernel::BuildOutcome::Status::kCacheHit ? results::BuildOutcome::kCacheHit
                                                                  : results::BuildOutcome::kBuilt;
  if (o.artifact) {
    const kernel::Artifact& a = *o.artifact;
    r.rustc_version = a.versions.rustc_vv.substr(0, a.versions.rustc_vv.find('\n'));
    r.bindgen_version = a.versions.bindgen;
    r.clang_version = a.versions.clang;
    r.effective_flags = fmt::format("{}", fmt::join(a.effective_rustflags_kernel, " "));
    r.sizes["vmlinux"] = {{"text", static_cast<int64_t>(a.vmlinux_sizes.text)},
                          {"data", static_cast<int64_t>(a.vmlinux_sizes.data)},
                          {"bss", static_cast<int64_t>(a.vmlinux_sizes.bss)}};
    r.sizes["rust"] = {{"text", static_cast<int64_t>(a.rust_sizes.text)},
                       {"data", static_cast<int64_t>(a.rust_sizes.data)},
                       {"bss", static_cast<int64_t>(a.rust_sizes.bss)}};
    r.artifact_dir = a.dir.string();
    r.kernel_version = a.kernel_version;
    r.source_id = a.source_id;
    if (a.build_seconds > 0 && o.status == kernel::BuildOutcome::Status::kBuilt) r.duration_seconds = a.build_seconds;
  }
  return r;
}

// What a worker hands back to the run's thread.
struct BuildEvent {
  std::string key;
  Result<kernel::BuildOutcome> outcome;
  std::vector<results::CodeCheckRecord> code_checks;  // of a successful build
};
struct BootEvent {
  BootTask task;
  Result<BootJobOutput> output;
};
struct AbiEvent {
  scenario::AbiCheckSpec spec;
  Result<results::AbiCheckRecord> record;
};
struct AbiChecksDone {};
// A running build has its tree (RunScheduler::BuildTreeReady).
struct TreeReadyEvent {
  std::string key;
};
using Event = std::variant<BuildEvent, BootEvent, AbiEvent, AbiChecksDone, TreeReadyEvent>;

// Workers push, the run's thread pops; every wait is bounded.
class EventQueue {
 public:
  void Push(Event e) {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_one();
  }
  std::optional<Event> PopFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

// Resolved acceleration per arch, probed once per run by the first boot of
// that arch (a probe may take seconds; other arches do not wait for it).
class AccelCache {
 public:
  AccelCache(vm::Hypervisor& hv, const scenario::BootSettings& boot, fs::path state)
      : hv_(hv), boot_(boot), state_(std::move(state)) {}
  Result<vm::AccelDecision> For(Arch arch) {
    std::lock_guard lock(mu_);
    if (auto it = decided_.find(arch); it != decided_.end()) return it->second;
    auto d = vm::ResolveAccel(hv_, arch, boot_.accel, boot_.timing, state_);
    if (d) decided_[arch] = *d;
    return d;
  }
  // "accel x86_64: tcg (why)" once per arch, for the run's log.
  std::optional<std::string> Announce(Arch arch) {
    std::lock_guard lock(mu_);
    auto it = decided_.find(arch);
    if (it == decided_.end() || !announced_.insert(arch).second) return std::nullopt;
    return fmt::format("accel {}: {} ({})", ArchName(arch), vm::ResolvedAccelName(it->second.accel), it->second.reason);
  }

 private:
  vm::Hypervisor& hv_;
  const scenario::BootSettings& boot_;
  fs::path state_;
  std::mutex mu_;
  std::map<Arch, vm::AccelDecision> decided_;
  std::set<Arch> announced_;
};

// What a built kernel boots: its image, the workloads its final .config
// supports, and the ones it cannot run (recorded as skipped).
struct Bootable {
  fs::path image;
  std::vector<scenario::Workload> workloads;
  std::vector<results::WorkloadRun> skipped;
};

class Executor {
 public:
  Executor(const scenario::Plan& plan, const RunDeps& deps, const RunOptions& options, int64_t run_id)
      : plan_(plan),
        s_(*plan.scenario),
        deps_(deps),
        options_(options),
        run_id_(run_id),
        accel_(deps.hypervisor, s_.boot, options.dirs.state),
        on_interrupt_(deps.stop, [this] { run_stop_.request_stop(); }) {}

  ~Executor() {
    run_stop_.request_stop();
    workers_.clear();  // joins
  }

  RunResult Run(RunScheduler& sched, const std::set<std::string>& recorded_builds,
                std::vector<scenario::AbiCheckSpec> abi_checks);

 private:
  void Log(const std::string& line) const {
    if (deps_.progress) deps_.progress(line);
  }
  void StartBuild(const std::string& key);
  void StartBoot(const BootTask& task);
  void OnBuild(RunScheduler& sched, BuildEvent& ev, const std::set<std::string>& recorded_builds);
  void OnBoot(RunScheduler& sched, BootEvent& ev);
  void StartAbiChecks(std::vector<scenario::AbiCheckSpec> checks);
  void OnAbiCheck(RunScheduler& sched, AbiEvent& ev);
  void DecideExtension(RunScheduler& sched, int repetition);
  void LabError(RunScheduler& sched, const Error& e) {
    sched.Stop(results::RunStatus::kFailed, e.message);
    run_stop_.request_stop();
  }
  BootJob JobFor(const BootTask& task, const BuildSpec& b, const Bootable& kernel) const;

  const scenario::Plan& plan_;
  const scenario::Scenario& s_;
  const RunDeps& deps_;
  const RunOptions& options_;
  int64_t run_id_;
  AccelCache accel_;
  std::stop_source run_stop_;
  std::stop_callback<std::function<void()>> on_interrupt_;
  EventQueue events_;
  Bootable BootableOf(const kernel::Artifact& a) const;
  std::map<std::string, Bootable> bootable_;  // by build key
  // This run's successful builds as stored, with their artifacts: a flag a
  // later build of the arch claims (kbuild adds some for a Kconfig option)
  // is judged in them as a control then (MissingControls).
  struct CheckedBuild {
    results::BuildRecord record;
    kernel::Artifact artifact;
  };
  std::map<std::string, CheckedBuild> checked_;  // by build key
  Status JudgeLateControls(const BuildSpec& spec, const kernel::Artifact& artifact,
                           std::vector<results::CodeCheckRecord>& checks);
  std::vector<std::jthread> workers_;
};

void Executor::StartBuild(const std::string& key) {
  const BuildSpec* spec = plan_.FindBuild(key);
  Log(fmt::format("[build {}/{}] {} {} {} {} ({})", std::distance(plan_.builds.data(), spec) + 1, plan_.builds.size(),
                  fmt::join(spec->variants, ","), ArchName(spec->arch), spec->toolchain, spec->source.Label(),
                  spec->key));
  workers_.emplace_back([this, spec, token = run_stop_.get_token()] {
    auto outcome = deps_.builder.Build(*spec, token, [this, spec] { events_.Push(TreeReadyEvent{spec->key}); });
    // The code-check stage, on the artifact's copies of the Rust objects.
    std::vector<results::CodeCheckRecord> checks;
    if (outcome && outcome->ok() && outcome->artifact) {
      checks = CheckBuildCode(FlagsToCheck(plan_, *spec, outcome->artifact->effective_rustflags_kernel),
                              *outcome->artifact);
    }
    events_.Push(BuildEvent{spec->key, std::move(outcome), std::move(checks)});
  });
}

// A workload whose Kconfig the kernel lacks would fail every boot (and be
// retried): it is skipped, with the missing symbol as the reason. An
// artifact without a readable .config (a fake in tests) skips nothing.
Bootable Executor::BootableOf(const kernel::Artifact& a) const {
  Bootable out{a.image, {}, {}};
  auto text = a.config.empty() ? Result<std::string>(std::unexpected(Error{})) : ReadFile(a.config);
  kernel::ConfigValues config = text ? kernel::ParseConfig(*text) : kernel::ConfigValues{};
  auto is_y = [&](std::string_view sym) {
    auto it = config.find(std::string(sym));
    return it != config.end() && it->second == "y";
  };
  for (const auto& w : s_.workloads) {
    const agent::WorkloadSpec* spec = agent::FindWorkload(w.name);
    std::vector<std::string> missing;
    if (spec && text) {
      for (const auto& need : agent::UnmetKconfig(*spec, w.params, is_y)) missing.push_back(need.Describe());
    }
    if (missing.empty()) {
      out.workloads.push_back(w);
    } else {
      out.skipped.push_back({w.name, "skipped", fmt::format("the kernel lacks {}", fmt::join(missing, ", ")), 0});
    }
  }
  return out;
}

// Everything but the acceleration, which the worker resolves.
BootJob Executor::JobFor(const BootTask& t, const BuildSpec& b, const Bootable& kernel) const {
  BootJob job;
  job.boot_id = fmt::format("{}-{}-{}-{}-r{}-a{}", t.variant, ArchName(b.arch), b.toolchain, b.source.Label(),
                            t.repetition, t.attempt);
  job.build_key = b.key;
  job.variant = t.variant;
  job.toolchain = b.toolchain;
  job.kernel_label = b.source.Label();
  job.repetition = t.repetition;
  job.attempt = t.attempt;
  job.arch = b.arch;
  job.kernel_image = kernel.image;
  job.workloads = kernel.workloads;
  job.skipped = kernel.skipped;
  if (options_.agent_dir) job.agent_binary = *options_.agent_dir / ArchName(b.arch) / "rfl-agent";
  job.boot = s_.boot;
  job.allowed_warnings = s_.allowed_warnings;
  if (const auto* v = s_.FindVariant(t.variant)) {
    job.allowed_warnings.insert(job.allowed_warnings.end(), v->allowed_warnings.begin(), v->allowed_warnings.end());
  }
  job.boot_dir = options_.dirs.state / "runs" / std::to_string(run_id_) / job.boot_id;
  job.cache_dir = options_.dirs.cache;
  job.stop = run_stop_.get_token();
  return job;
}

void Executor::StartBoot(const BootTask& task) {
  const BuildSpec* b = plan_.FindBuild(task.build_key);
  workers_.emplace_back([this, task, arch = b->arch, job = JobFor(task, *b, bootable_.at(b->key))]() mutable {
    auto accel = accel_.For(arch);
    if (!accel) {
      events_.Push(BootEvent{task, std::unexpected(accel.error())});
      return;
    }
    job.accel = accel->accel;
    events_.Push(BootEvent{task, RunBootJob(deps_.hypervisor, job)});
  });
}

// One thread runs the checks one after another (each may build two `core`s
// on every core), then says it is done.
void Executor::StartAbiChecks(std::vector<scenario::AbiCheckSpec> checks) {
  Log(fmt::format("{} ABI check(s) beside the builds", checks.size()));
  workers_.emplace_back([this, checks = std::move(checks), token = run_stop_.get_token()] {
    for (const auto& c : checks) {
      if (token.stop_requested()) break;
      events_.Push(AbiEvent{c, deps_.abi_checker->Check(c, token)});
    }
    events_.Push(AbiChecksDone{});
  });
}

void Executor::OnAbiCheck(RunScheduler& sched, AbiEvent& ev) {
  const scenario::AbiCheckSpec& c = ev.spec;
  std::string where = fmt::format("abi check {} {} {}", c.flag, ArchName(c.arch), c.toolchain);
  if (!ev.record) {
    if (ev.record.error().kind == Error::Kind::kCancelled || run_stop_.stop_requested()) return;
    // The lab could not run it (the toolchain, the cache): a record that
    // says so, and the run goes on.
    std::string why = ev.record.error().message;
    Log(fmt::format("  {}: could not run: {}", where, why));
    ev.record = results::UnjudgedAbiCheck(c.flag, std::string(ArchName(c.arch)), c.toolchain, "", why);
  }
  if (auto st = deps_.store.RecordAbiCheck(run_id_, *ev.record); !st) {
    return LabError(sched, st.error().Wrap("storing an ABI check"));
  }
  const results::AbiCheckRecord& r = *ev.record;
  Log(fmt::format("{} (rustc {}): {} ({:.1f} s){}", where, r.rustc.empty() ? "?" : r.rustc,
                  results::AbiCheckSummary(r), r.seconds, results::AbiCheckProblem(r) ? " — FINDING" : ""));
}

void Executor::OnBuild(RunScheduler& sched, BuildEvent& ev, const std::set<std::string>& recorded_builds) {
  const BuildSpec& spec = *plan_.FindBuild(ev.key);
  if (!ev.outcome) {
    sched.BuildAborted(ev.key);
    if (ev.outcome.error().kind == Error::Kind::kCancelled || run_stop_.stop_requested()) return;
    return LabError(sched, ev.outcome.error().Wrap(fmt::format("building {}", fmt::join(spec.variants, ","))));
  }
  const kernel::BuildOutcome& built = *ev.outcome;
  bool fresh = !recorded_builds.count(spec.key);  // not stored by the run this one resumes
  bool judged = fresh && built.ok() && built.artifact;
  if (judged) {
    if (auto r = JudgeLateControls(spec, *built.artifact, ev.code_checks); !r) {
      sched.BuildAborted(ev.key);
      return LabError(sched, r.error());
    }
  }
  if (fresh) {
    results::BuildRecord record = MakeBuildRecord(spec, built);
    record.code_checks = ev.code_checks;
    if (record.kernel_version.empty()) {  // a failed build: the source it had
      if (auto src = kernel::FindPreparedSource(spec.source, options_.dirs.cache)) {
        record.kernel_version = src->kernel_version;
        record.source_id = src->id;
      }
    }
    if (auto r = deps_.store.RecordBuild(run_id_, record); !r) {
      sched.BuildAborted(ev.key);
      return LabError(sched, r.error().Wrap("storing a build"));
    }
    if (judged) checked_[spec.key] = {std::move(record), *built.artifact};
  }
  bool expected_failure = spec.expect == Expect::kBuildFailure;
  if (!built.ok()) {
    Log(fmt::format("  {}: {}", expected_failure ? "failed as expected" : "FAILED",
                    built.failure ? built.failure->message : "no failure detail"));
    sched.BuildDone(ev.key, false);
    return;
  }
  Log(fmt::format("  {} in {:.0f} s{}", kernel::BuildStatusName(built.status), built.seconds,
                  expected_failure ? " — but this variant was expected to fail building" : ""));
  for (const auto& c : ev.code_checks) {
    auto problem = results::CodeCheckProblem(c);
    Log(fmt::format("  code check {} ({}): {}, {} of {} functions{}", c.flag, c.claimed ? "claimed" : "control",
                    c.verdict, c.with_signature, c.checked, problem ? " — FINDING" : ""));
  }
  Bootable kernel = BootableOf(*built.artifact);
  for (const auto& w : kernel.skipped) Log(fmt::format("  workload {} skipped: {}", w.name, w.reason));
  bootable_[spec.key] = std::move(kernel);
  sched.BuildDone(ev.key, !expected_failure);
}

// Controls both ways between a build just done and the earlier ones of its
// arch: this build is judged on the flags they claimed, and they on the
// flags it claims (re-stored: RecordBuild replaces a build's row).
Status Executor::JudgeLateControls(const BuildSpec& spec, const kernel::Artifact& artifact,
                                   std::vector<results::CodeCheckRecord>& checks) {
  // Everything the earlier builds claimed, judged here in one pass over this artifact.
  std::vector<results::CodeCheckRecord> claimed_before;
  for (const auto& [key, other] : checked_) {
    if (plan_.FindBuild(key)->arch != spec.arch) continue;
    claimed_before.insert(claimed_before.end(), other.record.code_checks.begin(), other.record.code_checks.end());
  }
  auto mine = CheckBuildCode(MissingControls(spec.arch, checks, claimed_before), artifact);
  checks.insert(checks.end(), std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));
  for (auto& [key, other] : checked_) {
    const BuildSpec& o = *plan_.FindBuild(key);
    if (o.arch != spec.arch) continue;
    auto theirs = CheckBuildCode(MissingControls(o.arch, other.record.code_checks, checks), other.artifact);
    if (theirs.empty()) continue;
    for (const auto& c : theirs) {
      Log(fmt::format("  code check {} (control, in {}): {}, {} of {} functions", c.flag, fmt::join(o.variants, ","),
                      c.verdict, c.with_signature, c.checked));
    }
    other.record.code_checks.insert(other.record.code_checks.end(), std::make_move_iterator(theirs.begin()),
                                    std::make_move_iterator(theirs.end()));
    if (auto r = deps_.store.RecordBuild(run_id_, other.record); !r) {
      return std::unexpected(r.error().Wrap("storing a build's late code checks"));
    }
  }
  return {};
}

void Executor::OnBoot(RunScheduler& sched, BootEvent& ev) {
  const BootTask& t = ev.task;
  if (!ev.output) {
    sched.BootAborted(t);
    if (ev.output.error().kind == Error::Kind::kCancelled || run_stop_.stop_requested()) return;
    return LabError(sched, ev.output.error().Wrap(fmt::format("booting {}#{}", t.variant, t.repetition)));
  }
  BootJobOutput& out = *ev.output;
  if (out.cancelled) {
    sched.BootAborted(t);
    return;
  }
  if (auto rec = deps_.store.RecordBoot(run_id_, out.record); !rec) {
    sched.BootAborted(t);
    return LabError(sched, rec.error().Wrap("storing a boot"));
  }
  BootProgress p = sched.BootDone(t, out.record.outcome);
  const BuildSpec& b = *plan_.FindBuild(t.build_key);
  if (auto line = accel_.Announce(b.arch)) Log(*line);
  std::string where = p.unit_done ? fmt::format("[boot {}/{}{}]", p.done_units, p.planned_units,
                                                p.was_retry ? fmt::format(", retry of #{}", p.unit) : "")
                                  : fmt::format("[boot #{}, will retry]", p.unit);
  bool passed = out.record.outcome == BootOutcome::kPassed;
  Log(fmt::format("{} {}#{} {} {} {}: {} ({:.1f} s, {} samples){}", where, t.variant, t.repetition, ArchName(b.arch),
                  b.toolchain, b.source.Label(), BootOutcomeName(out.record.outcome), out.vm_result.total.count(),
                  out.record.samples.size(), passed ? "" : " — " + out.classification.reason));
}

void Executor::DecideExtension(RunScheduler& sched, int repetition) {
  auto data = deps_.store.LoadRun(run_id_);
  if (!data) return LabError(sched, data.error().Wrap("reading the run back"));
  auto advice = results::NeedMoreRepetitions(*data, s_.repeat.min, s_.repeat.max);
  if (advice.more) Log(fmt::format("adding repetition {}: {}", repetition + 1, advice.reason));
  sched.ExtensionDecided(advice.more);
}

RunResult Executor::Run(RunScheduler& sched, const std::set<std::string>& recorded_builds,
                        std::vector<scenario::AbiCheckSpec> abi_checks) {
  bool interrupted = false;
  bool abi_done = abi_checks.empty();
  if (!abi_done) StartAbiChecks(std::move(abi_checks));
  while (true) {
    if (deps_.stop.stop_requested() && !interrupted) {
      interrupted = true;
      sched.Stop(results::RunStatus::kInterrupted,
                 fmt::format("interrupted (Ctrl-C); stored boots are kept; continue with --resume {}", run_id_));
    }
    for (auto& action : sched.Next()) {
      if (auto* b = std::get_if<RunScheduler::StartBuild>(&action)) StartBuild(b->key);
      else if (auto* t = std::get_if<RunScheduler::StartBoot>(&action)) StartBoot(t->task);
      else if (auto* d = std::get_if<RunScheduler::DecideExtension>(&action)) DecideExtension(sched, d->repetition);
    }
    if (sched.Finished() && abi_done) break;
    auto ev = events_.PopFor(std::chrono::milliseconds(100));
    if (!ev) continue;
    if (auto* b = std::get_if<BuildEvent>(&*ev)) OnBuild(sched, *b, recorded_builds);
    else if (auto* t = std::get_if<BootEvent>(&*ev)) OnBoot(sched, *t);
    else if (auto* a = std::get_if<AbiEvent>(&*ev)) OnAbiCheck(sched, *a);
    else if (std::holds_alternative<AbiChecksDone>(*ev)) abi_done = true;
    else if (auto* r = std::get_if<TreeReadyEvent>(&*ev)) sched.BuildTreeReady(r->key);
  }
  workers_.clear();  // every worker has pushed its event; join them
  RunResult result;
  result.run_id = run_id_;
  result.status = sched.Status();
  result.message = sched.StopMessage();
  return result;
}

}  // namespace

Result<RunResult> RunScenario(const scenario::Plan& plan, const RunDeps& deps, const RunOptions& o) {
  const scenario::Scenario& s = *plan.scenario;
  if (!plan.abi_checks.empty() && !deps.abi_checker) {
    return Fail("the plan has {} ABI check(s) and the run was given no ABI checker", plan.abi_checks.size());
  }
  std::vector<StoredAttempt> stored;
  std::set<std::string> recorded_builds;
  std::set<std::tuple<std::string, std::string, std::string>> recorded_abi;  // toolchain, arch, flag
  int64_t run_id = 0;
  if (o.resume_run) {
    auto data = deps.store.LoadRun(*o.resume_run);
    if (!data) return std::unexpected(data.error().Wrap(fmt::format("loading run {}", *o.resume_run)));
    if (data->run.info.scenario_hash != Sha256Hex(s.text)) {
      return FailAs(Error::Kind::kInput,
                    "run {} was made from a different scenario text ({}); resume it with the same file",
                    *o.resume_run, data->run.info.scenario_name);
    }
    // The plan a resume completes is the corner the run was limited to: with
    // another selection the run would mix cells of two plans.
    if (data->run.info.corner != o.corner) {
      if (data->run.info.corner.empty()) {
        return FailAs(Error::Kind::kInput,
                      "run {} covered the whole scenario; resume it without --kernel, --toolchain, --arch or --variant",
                      *o.resume_run);
      }
      return FailAs(Error::Kind::kInput,
                    "run {} was limited to a corner of the scenario ({}); resume it with the same options",
                    *o.resume_run, data->run.info.corner);
    }
    // One backend for all of a run's boots: a comparison never mixes two.
    const auto& was = data->run.info;
    if (!was.backend.empty() &&
        (was.backend != deps.hypervisor.Backend() || was.backend_uri != deps.hypervisor.Uri())) {
      return FailAs(Error::Kind::kInput, "run {} booted on {} {}; resume it with the same --backend and its URI",
                    *o.resume_run, was.backend, was.backend_uri);
    }
    run_id = *o.resume_run;
    for (const auto& b : data->builds) recorded_builds.insert(b.key);
    for (const auto& a : data->abi_checks) recorded_abi.insert({a.toolchain, a.arch, a.flag});
    for (const auto& b : data->boots) stored.push_back({b.build_key, b.variant, b.repetition, b.attempt, b.outcome});
  } else {
    auto info = MakeRunInfo(s, o.corner);
    info.backend = deps.hypervisor.Backend();
    info.backend_uri = deps.hypervisor.Uri();
    auto id = deps.store.BeginRun(info);
    if (!id) return std::unexpected(id.error().Wrap("starting a run in the store"));
    run_id = *id;
  }

  std::vector<SchedulerBuild> builds;
  for (const auto& b : plan.builds) {
    // Trees of one source, toolchain and arch seed each other (kernel::TreeFamily
    // also joins toolchains that share clang and bindgen: those stay one after another).
    builds.push_back({b.key, b.expect, b.tree_key, fmt::format("{}\n{}\n{}", b.source.spec, b.toolchain, ArchName(b.arch))});
  }
  std::vector<SchedulerCell> cells;
  for (const auto& b : plan.boots) {
    if (b.repetition != 0) continue;
    const auto* v = s.FindVariant(b.variant);
    cells.push_back({b.build_key, b.variant, v ? v->expect : Expect::kPass});
  }
  const bool icount = s.boot.timing == Timing::kIcount;
  // Local VMs share this machine's cores and memory; remote workers do not.
  const bool remote = deps.hypervisor.Remote();
  const int fit = remote ? kRemoteBootSlots : ParallelBootSlots(s.boot.memory_bytes);
  const int slots = o.max_parallel_boots <= 0 ? fit : remote ? o.max_parallel_boots : std::min(o.max_parallel_boots, fit);
  const int build_slots = o.build_slots > 0 ? o.build_slots : std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  SchedulerConfig config{s.boot.timing, !icount ? 1 : slots, s.repeat.min, s.repeat.max, build_slots};
  RunScheduler sched(config, std::move(builds), std::move(cells), stored);
  if (deps.progress) {
    deps.progress(fmt::format("run {} of {}: {} build(s), {} boot(s) planned{}", run_id, s.name, plan.builds.size(),
                              sched.planned_units(), o.resume_run ? " (resumed)" : ""));
  }

  std::vector<scenario::AbiCheckSpec> abi_checks;
  for (const auto& a : plan.abi_checks) {
    if (!recorded_abi.count({a.toolchain, std::string(ArchName(a.arch)), a.flag})) abi_checks.push_back(a);
  }

  RunResult result;
  {
    Executor executor(plan, deps, o, run_id);
    result = executor.Run(sched, recorded_builds, std::move(abi_checks));
  }
  if (auto st = deps.store.FinishRun(run_id, result.status, result.message); !st) {
    if (deps.progress) deps.progress("warning: could not mark the run finished: " + st.error().message);
  }
  return result;
}

}  // namespace rfl::pipeline

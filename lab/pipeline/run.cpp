#include "lab/pipeline/run.h"

#include <unistd.h>

#include <algorithm>
#include <tuple>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "exporters/prometheus/export.h"
#include "lab/kernel/build.h"
#include "lab/pipeline/boot_job.h"
#include "lab/report/report.h"
#include "lab/results/comparison.h"
#include "lab/results/store.h"
#include "lab/scenario/plan.h"
#include "lab/util/build_info.h"
#include "lab/util/cancel.h"
#include "lab/util/exit_codes.h"
#include "lab/util/hash.h"
#include "lab/vm/accel.h"
#include "lab/vm/hypervisor.h"

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

results::RunInfo MakeRunInfo(const scenario::Scenario& s) {
  results::RunInfo info;
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
  for (const auto& v : s.variants) {
    results::VariantInfo vi;
    vi.name = v.name;
    vi.expect = v.expect;
    vi.rustflags = v.rustflags;
    vi.kconfig = v.kconfig;
    info.variants.push_back(std::move(vi));
  }
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
    std::string flags;
    for (const auto& f : a.effective_rustflags_kernel) flags += (flags.empty() ? "" : " ") + f;
    r.effective_flags = flags;
    r.sizes["vmlinux"] = {{"text", static_cast<int64_t>(a.vmlinux_sizes.text)},
                          {"data", static_cast<int64_t>(a.vmlinux_sizes.data)},
                          {"bss", static_cast<int64_t>(a.vmlinux_sizes.bss)}};
    r.sizes["rust"] = {{"text", static_cast<int64_t>(a.rust_sizes.text)},
                       {"data", static_cast<int64_t>(a.rust_sizes.data)},
                       {"bss", static_cast<int64_t>(a.rust_sizes.bss)}};
    r.artifact_dir = a.dir.string();
    if (a.build_seconds > 0 && o.status == kernel::BuildOutcome::Status::kBuilt) r.duration_seconds = a.build_seconds;
  }
  return r;
}

// One boot to do: a (build, variant, repetition) cell.
struct BootTask {
  const BuildSpec* build = nullptr;
  fs::path image;
  std::string variant;
  int repetition = 0;
  int cell = 0;  // the cell's place in the plan's interleaved order
};

class Orchestrator {
 public:
  Orchestrator(const scenario::Scenario& s, const RunOptions& o, results::Store& store, vm::Hypervisor& hv,
               int64_t run_id)
      : s_(s), o_(o), store_(store), hv_(hv), run_id_(run_id), out_(o.progress ? *o.progress : std::cerr) {}

  RunOutcome Run(const scenario::Plan& plan, const std::set<std::tuple<std::string, std::string, int>>& done_boots,
                 const std::set<std::string>& recorded_builds);

 private:
  void Log(const std::string& line) {
    std::lock_guard lock(log_mu_);
    out_ << line << "\n";
    out_.flush();
  }
  void StartWorkers(int n);
  void Enqueue(BootTask t);
  void WaitIdle();
  void StopWorkers();
  void Worker();
  void DoBoot(const BootTask& t);
  Result<vm::ResolvedAccel> AccelFor(Arch arch);
  std::vector<std::string> AllowedWarnings(const std::string& variant) const {
    std::vector<std::string> out = s_.allowed_warnings;
    if (const auto* v = s_.FindVariant(variant)) out.insert(out.end(), v->allowed_warnings.begin(), v->allowed_warnings.end());
    return out;
  }

  const scenario::Scenario& s_;
  const RunOptions& o_;
  results::Store& store_;
  vm::Hypervisor& hv_;
  int64_t run_id_;
  std::ostream& out_;
  std::mutex log_mu_;

  std::mutex store_mu_;
  std::map<Arch, vm::ResolvedAccel> accel_;
  std::mutex accel_mu_;

  std::mutex q_mu_;
  std::condition_variable q_cv_;
  std::deque<BootTask> queue_;
  int busy_ = 0;
  bool closing_ = false;
  std::vector<std::thread> workers_;
  std::optional<Error> lab_error_;  // first lab failure seen by a worker
  int boots_done_ = 0;
  int boots_total_ = 0;
};

Result<vm::ResolvedAccel> Orchestrator::AccelFor(Arch arch) {
  std::lock_guard lock(accel_mu_);
  if (auto it = accel_.find(arch); it != accel_.end()) return it->second;
  auto d = vm::ResolveAccel(hv_, arch, s_.boot.accel, s_.boot.timing, o_.dirs.state);
  if (!d) return std::unexpected(d.error());
  Log(fmt::format("accel {}: {} ({})", ArchName(arch), vm::ResolvedAccelName(d->accel), d->reason));
  accel_[arch] = d->accel;
  return d->accel;
}

void Orchestrator::StartWorkers(int n) {
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { Worker(); });
}

// The queue stays in (repetition, cell) order, so boots of builds that finish
// one after another still run interleaved (A B A B), not A A A B B B.
void Orchestrator::Enqueue(BootTask t) {
  {
    std::lock_guard lock(q_mu_);
    auto at = std::upper_bound(queue_.begin(), queue_.end(), t, [](const BootTask& a, const BootTask& b) {
      return std::tie(a.repetition, a.cell) < std::tie(b.repetition, b.cell);
    });
    queue_.insert(at, std::move(t));
    ++boots_total_;
  }
  q_cv_.notify_one();
}

void Orchestrator::WaitIdle() {
  std::unique_lock lock(q_mu_);
  while (!(queue_.empty() && busy_ == 0)) {
    q_cv_.wait_for(lock, std::chrono::milliseconds(200));
    if (CancelRequested()) {
      queue_.clear();
      if (busy_ == 0) break;
    }
  }
}

void Orchestrator::StopWorkers() {
  {
    std::lock_guard lock(q_mu_);
    closing_ = true;
  }
  q_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void Orchestrator::Worker() {
  while (true) {
    BootTask task;
    {
      std::unique_lock lock(q_mu_);
      while (queue_.empty() && !closing_) q_cv_.wait_for(lock, std::chrono::milliseconds(200));
      if (queue_.empty() || CancelRequested()) {
        if (closing_ || CancelRequested()) {
          queue_.clear();
          return;
        }
        continue;
      }
      task = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    DoBoot(task);
    {
      std::lock_guard lock(q_mu_);
      --busy_;
    }
    q_cv_.notify_all();
  }
}

void Orchestrator::DoBoot(const BootTask& t) {
  const BuildSpec& b = *t.build;
  auto accel = AccelFor(b.arch);
  if (!accel) {
    std::lock_guard lock(q_mu_);
    if (!lab_error_) lab_error_ = accel.error();
    RequestCancel();
    return;
  }
  const scenario::Variant* variant = s_.FindVariant(t.variant);
  for (int attempt = 0; attempt < 2 && !CancelRequested(); ++attempt) {
    BootJob job;
    job.boot_id = fmt::format("{}-{}-{}-{}-r{}-a{}", t.variant, ArchName(b.arch), b.toolchain,
                              b.source.Label(), t.repetition, attempt);
    job.build_key = b.key;
    job.variant = t.variant;
    job.toolchain = b.toolchain;
    job.kernel_label = b.source.Label();
    job.arch = b.arch;
    job.repetition = t.repetition;
    job.attempt = attempt;
    job.kernel_image = t.image;
    job.workloads = s_.workloads;
    job.boot = s_.boot;
    job.accel = *accel;
    job.allowed_warnings = AllowedWarnings(t.variant);
    job.boot_dir = o_.dirs.state / "runs" / std::to_string(run_id_) / job.boot_id;
    job.cache_dir = o_.dirs.cache;
    auto out = RunBootJob(hv_, job);
    if (!out) {
      std::lock_guard lock(q_mu_);
      if (!lab_error_ && out.error().kind != Error::Kind::kCancelled) lab_error_ = out.error();
      RequestCancel();
      return;
    }
    if (out->cancelled) return;
    int64_t id = 0;
    {
      std::lock_guard lock(store_mu_);
      auto rec = store_.RecordBoot(run_id_, out->record);
      if (!rec) {
        std::lock_guard qlock(q_mu_);
        if (!lab_error_) lab_error_ = rec.error().Wrap("storing a boot");
        RequestCancel();
        return;
      }
      id = *rec;
    }
    (void)id;
    bool passed = out->record.outcome == BootOutcome::kPassed;
    bool expected_failure = variant && variant->expect == Expect::kBootFailure;
    int done;
    {
      std::lock_guard lock(q_mu_);
      done = ++boots_done_;
    }
    Log(fmt::format("[boot {}/{}] {}#{} {} {} {}{}: {} ({:.1f} s, {} samples){}", done, boots_total_, t.variant,
                    t.repetition, ArchName(b.arch), b.toolchain, b.source.Label(),
                    attempt ? " retry" : "", BootOutcomeName(out->record.outcome),
                    out->vm_result.total.count(), out->record.samples.size(),
                    passed ? "" : " — " + out->classification.reason));
    // Retry once a failure nobody expected; keep both attempts.
    if (passed || expected_failure) return;
  }
}

RunOutcome Orchestrator::Run(const scenario::Plan& plan,
                             const std::set<std::tuple<std::string, std::string, int>>& done_boots,
                             const std::set<std::string>& recorded_builds) {
  RunOutcome result;
  result.run_id = run_id_;
  const bool icount = s_.boot.timing == Timing::kIcount;
  // icount: as many VMs as cores and memory allow (or --parallel N, capped
  // the same way); wall: one, alone.
  const int fit = ParallelBootSlots(s_.boot.memory_bytes);
  int slots = !icount ? 1 : o_.max_parallel_boots > 0 ? std::min(o_.max_parallel_boots, fit) : fit;
  // In icount mode boots overlap later builds; in wall mode they wait.
  if (icount) StartWorkers(slots);

  std::map<std::string, fs::path> images;  // build key → kernel image
  // One round of boots (one repetition of every cell), in the plan's
  // interleaved order; `only` restricts it to one build.
  auto queue_round = [&](int repetition, const std::string* only) {
    int n = 0, cell = -1;
    for (const auto& b : plan.boots) {
      if (b.repetition != 0) continue;  // the cells of repetition 0, renumbered
      ++cell;
      if (only && b.build_key != *only) continue;
      auto img = images.find(b.build_key);
      if (img == images.end()) continue;
      const BuildSpec* spec = plan.FindBuild(b.build_key);
      if (spec->expect == Expect::kBuildFailure) continue;
      if (done_boots.count({b.build_key, b.variant, repetition})) continue;
      Enqueue(BootTask{spec, img->second, b.variant, repetition, cell});
      ++n;
    }
    return n;
  };
  std::optional<Error> build_error;
  int index = 0;
  for (const auto& spec : plan.builds) {
    if (CancelRequested()) break;
    ++index;
    Log(fmt::format("[build {}/{}] {} {} {} {} ({})", index, plan.builds.size(), fmt::join(spec.variants, ","),
                    ArchName(spec.arch), spec.toolchain, spec.source.Label(), spec.key));
    kernel::BuildContext ctx;
    ctx.cache_dir = o_.dirs.cache;
    ctx.data_dir = o_.dirs.data;
    ctx.jobs = o_.jobs;
    ctx.progress = &out_;
    ctx.label = fmt::format("{}/{} {}", s_.name, fmt::join(spec.variants, ","), ArchName(spec.arch));
    auto built = kernel::BuildKernel(spec, ctx);
    if (!built) {
      if (built.error().kind == Error::Kind::kCancelled || CancelRequested()) break;
      build_error = built.error();
      break;
    }
    if (!recorded_builds.count(spec.key)) {
      std::lock_guard lock(store_mu_);
      if (auto r = store_.RecordBuild(run_id_, MakeBuildRecord(spec, *built)); !r) {
        build_error = r.error().Wrap("storing a build");
        break;
      }
    }
    std::string status(kernel::BuildStatusName(built->status));
    if (!built->ok()) {
      bool expected = spec.expect == Expect::kBuildFailure;
      Log(fmt::format("  {}: {}", expected ? "failed as expected" : "FAILED",
                      built->failure ? built->failure->message : "no failure detail"));
      continue;
    }
    Log(fmt::format("  {} in {:.0f} s{}", status, built->seconds,
                    spec.expect == Expect::kBuildFailure ? " — but this variant was expected to fail building" : ""));
    images[spec.key] = built->artifact->image;
    // icount: this build's boots start now, while the next build compiles.
    if (icount) {
      for (int rep = 0; rep < s_.repeat.min; ++rep) queue_round(rep, &spec.key);
    }
  }

  if (!build_error && !CancelRequested()) {
    // wall: boots wait for every build, then run alone, repetition by
    // repetition, baseline and variants interleaved.
    if (!icount) {
      StartWorkers(1);
      for (int rep = 0; rep < s_.repeat.min && !CancelRequested(); ++rep) queue_round(rep, nullptr);
    }
    WaitIdle();
    for (int rep = s_.repeat.min; rep < s_.repeat.max && !CancelRequested() && !lab_error_; ++rep) {
      auto data = store_.LoadRun(run_id_);
      if (!data) break;
      auto advice = results::NeedMoreRepetitions(*data, s_.repeat.min, s_.repeat.max);
      if (!advice.more) break;
      Log(fmt::format("adding repetition {}: {}", rep + 1, advice.reason));
      if (queue_round(rep, nullptr) == 0) break;
      WaitIdle();
    }
  }
  StopWorkers();

  results::RunStatus status = results::RunStatus::kCompleted;
  if (build_error || lab_error_) {
    status = results::RunStatus::kFailed;
    result.message = (build_error ? *build_error : *lab_error_).message;
    result.exit_code = kExitLabFailure;
  } else if (CancelRequested()) {
    status = results::RunStatus::kInterrupted;
    result.message = "interrupted (Ctrl-C); stored boots are kept; continue with --resume " + std::to_string(run_id_);
    result.exit_code = kExitInterrupted;
  }
  if (auto st = store_.FinishRun(run_id_, status, result.message); !st) {
    Log("warning: could not mark the run finished: " + st.error().message);
  }
  auto data = store_.LoadRun(run_id_);
  if (data) {
    auto analysis = results::AnalyzeRun(*data);
    result.summary = report::RenderTable(analysis, o_.color);
    if (status == results::RunStatus::kCompleted) result.exit_code = results::GateExitCode(analysis.findings);
  }
  return result;
}

}  // namespace

Result<RunOutcome> RunScenario(const scenario::Scenario& s, const RunOptions& o) {
  auto plan = scenario::ExpandPlan(s);
  if (!plan) return std::unexpected(plan.error());
  if (auto st = EnsureDir(o.store_path.parent_path()); !st) return std::unexpected(st.error());
  auto store = results::OpenSqliteStore(o.store_path);
  if (!store) return std::unexpected(store.error().Wrap("opening the results store"));

  std::set<std::tuple<std::string, std::string, int>> done_boots;
  std::set<std::string> recorded_builds;
  int64_t run_id = 0;
  if (o.resume_run) {
    auto data = (*store)->LoadRun(*o.resume_run);
    if (!data) return std::unexpected(data.error().Wrap(fmt::format("loading run {}", *o.resume_run)));
    if (data->run.info.scenario_hash != Sha256Hex(s.text)) {
      return FailAs(Error::Kind::kInput, "run {} was made from a different scenario text ({}); resume it with the same file",
                    *o.resume_run, data->run.info.scenario_name);
    }
    run_id = *o.resume_run;
    for (const auto& b : data->builds) recorded_builds.insert(b.key);
    // A repetition is done when its last attempt passed, or it had its retry.
    std::map<std::tuple<std::string, std::string, int>, int> attempts;
    std::set<std::tuple<std::string, std::string, int>> passed;
    for (const auto& b : data->boots) {
      auto k = std::make_tuple(b.build_key, b.variant, b.repetition);
      attempts[k]++;
      if (b.outcome == BootOutcome::kPassed) passed.insert(k);
    }
    for (const auto& [k, n] : attempts) {
      const auto* v = s.FindVariant(std::get<1>(k));
      if (passed.count(k) || n >= 2 || (v && v->expect == Expect::kBootFailure)) done_boots.insert(k);
    }
  } else {
    auto id = (*store)->BeginRun(MakeRunInfo(s));
    if (!id) return std::unexpected(id.error().Wrap("starting a run in the store"));
    run_id = *id;
  }

  std::string uri = o.connect_uri.empty() ? vm::DefaultConnectUri(o.dirs.state) : o.connect_uri;
  auto hv = vm::OpenLibvirt(uri);
  if (!hv) {
    (void)(*store)->FinishRun(run_id, results::RunStatus::kFailed, hv.error().message);
    return std::unexpected(hv.error().Wrap("opening libvirt " + uri));
  }
  std::ostream& out = o.progress ? *o.progress : std::cerr;
  out << fmt::format("run {} of {}: {} build(s), {} boot(s) planned; store {}\n", run_id, s.name,
                     plan->builds.size(), plan->boots.size(), o.store_path.string());
  Orchestrator orch(s, o, **store, **hv, run_id);
  RunOutcome result = orch.Run(*plan, done_boots, recorded_builds);

  if (result.exit_code != kExitLabFailure && result.exit_code != kExitInterrupted) {
    if (o.push_url) {
      if (auto p = exporters::PushRun(**store, run_id, *o.push_url); !p) {
        out << "warning: push to " << *o.push_url << " failed: " << p.error().message << "\n";
      } else {
        out << "pushed run " << run_id << " to " << *o.push_url << "\n";
      }
    }
    if (o.textfile_dir) {
      if (auto p = exporters::WriteTextfile(**store, run_id, *o.textfile_dir); !p) {
        out << "warning: textfile export failed: " << p.error().message << "\n";
      } else {
        out << "wrote " << p->string() << "\n";
      }
    }
  }
  return result;
}

}  // namespace rfl::pipeline

#include "lab/lava/lava_hypervisor.h"

#include <condition_variable>
#include <fstream>
#include <mutex>

#include <fmt/format.h>

#include "lab/lava/job_definition.h"
#include "lab/vm/arch_profile.h"
#include "lab/vm/domain_xml.h"
#include "lab/vm/guest_clock.h"

namespace rfl::lava {
namespace {

using Clock = std::chrono::steady_clock;

const LogEntry* JobResult(const std::vector<LogEntry>& log) {
  for (auto it = log.rbegin(); it != log.rend(); ++it) {
    if (it->level == "results" && it->result_case == "job") return &*it;
  }
  return nullptr;
}

// Sleeps for `d` unless the stop token fires first.
void Pause(std::stop_token stop, std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
}

}  // namespace

JobEnd DecideJobEnd(const JobState& state, const std::vector<LogEntry>& log, bool kernel_started,
                    bool cancel_requested) {
  const LogEntry* job = JobResult(log);
  std::string error = job && !job->error_type.empty() ? fmt::format("{}: {}", job->error_type, job->error_msg) : "";
  std::string detail = fmt::format("LAVA {}{}{}", state.health, error.empty() ? "" : " — ", error);
  if (state.health == "Complete") return {JobEnd::Kind::kBoot, vm::EndReason::kGuestStopped, detail};
  if (state.health == "Canceled") {
    if (cancel_requested) return {JobEnd::Kind::kBoot, vm::EndReason::kCancelled, detail};
    return {JobEnd::Kind::kRetry, vm::EndReason::kCancelled, detail + " (cancelled on the LAVA side)"};
  }
  // Incomplete (or anything LAVA adds later).
  bool timed_out = job && (job->error_type == "LAVATimeout" || job->error_msg.find("timed out") != std::string::npos);
  if (kernel_started) {
    return {JobEnd::Kind::kBoot, timed_out ? vm::EndReason::kTimeout : vm::EndReason::kGuestStopped, detail};
  }
  if (!job || job->error_type == "Infrastructure" || job->error_type.empty()) {
    return {JobEnd::Kind::kRetry, vm::EndReason::kGuestStopped, detail};
  }
  return {JobEnd::Kind::kLabError, vm::EndReason::kGuestStopped, detail};
}

LavaHypervisor::LavaHypervisor(std::unique_ptr<LavaApi> api, std::unique_ptr<ArtifactServer> artifacts,
                               LavaSettings settings, std::string version)
    : api_(std::move(api)), artifacts_(std::move(artifacts)), settings_(std::move(settings)),
      version_(std::move(version)) {}

Result<std::string> LavaHypervisor::Describe() {
  return fmt::format("{} at {}, device type {}{}, artifacts served at {}", version_, api_->Url(),
                     settings_.device_type, settings_.tags.empty() ? "" : fmt::format(" (tags {})", fmt::join(settings_.tags, ",")),
                     artifacts_->BaseUrl());
}

Result<vm::BootResult> LavaHypervisor::Boot(const vm::BootRequest& request) {
  auto kernel = artifacts_->Publish(request.kernel);
  if (!kernel) return std::unexpected(kernel.error().Wrap("publishing the kernel for LAVA"));
  std::optional<ArtifactServer::Publication> initrd;
  if (request.initrd) {
    auto p = artifacts_->Publish(*request.initrd);
    if (!p) return std::unexpected(p.error().Wrap("publishing the initramfs for LAVA"));
    initrd = std::move(*p);
  }
  JobSpec spec;
  spec.name = fmt::format("{} {}", request.name_prefix, request.console_path.parent_path().filename().string());
  spec.device_type = settings_.device_type;
  spec.tags = settings_.tags;
  spec.arch = request.arch;
  spec.kernel_url = kernel->url();
  if (initrd) spec.initrd_url = initrd->url();
  // The worker's host TSC rate is not known here: under real time an x86
  // guest without ACPI calibrates its TSC by itself or falls back to jiffies
  // (vm/guest_clock.h); icount boots get the same words as local ones.
  std::vector<std::string> words = request.cmdline;
  for (auto& w : vm::GuestClockWords(request.arch, request.accel, request.timing, request.cmdline, std::nullopt)) {
    words.push_back(std::move(w));
  }
  spec.cmdline = vm::JoinCmdline(vm::ProfileFor(request.arch), words);
  spec.memory_bytes = request.memory_bytes;
  spec.cpus = request.cpus;
  spec.timing = request.timing;
  spec.kvm = request.accel == vm::ResolvedAccel::kKvm;
  spec.boot_timeout = std::chrono::ceil<std::chrono::seconds>(request.timeout);
  auto definition = JobDefinition(spec);
  if (!definition) return std::unexpected(definition.error());

  for (int attempt = 0;; ++attempt) {
    vm::BootResult result;
    result.accel = request.accel;
    result.console_path = request.console_path;
    std::ofstream console(request.console_path, std::ios::binary | std::ios::trunc);
    if (!console) return Fail("cannot write the console file {}", request.console_path.string());

    auto id = api_->Submit(*definition);
    if (!id) return std::unexpected(id.error().Wrap("submitting the boot to LAVA " + api_->Url()));
    result.domain_name = fmt::format("lava-job-{}", *id);

    std::vector<LogEntry> log;
    bool kernel_started = false, cancel_requested = false, timed_out = false;
    std::optional<Clock::time_point> cancelled_at;
    std::optional<double> t0;  // the log time QEMU was started at
    auto submitted = Clock::now();
    std::optional<Clock::time_point> running_since;
    JobState state;
    auto read_log = [&]() -> Status {
      while (true) {
        auto text = api_->Logs(*id, log.size());
        if (!text) return std::unexpected(text.error());
        auto entries = ParseLogChunk(*text);
        if (!entries) return std::unexpected(entries.error());
        if (entries->empty()) return {};
        for (auto& e : *entries) {
          if (!t0 && e.level == "info" && e.text.starts_with("Boot command:")) t0 = e.at;
          if (IsGuestOutput(e)) {
            std::string line = GuestLine(e.text);
            vm::Seconds at{t0 ? e.at - *t0 : 0.0};
            if (!result.first_console_byte) result.first_console_byte = at;
            result.total = std::max(result.total, at);
            if (line.find("Linux version ") != std::string::npos) kernel_started = true;
            console << line << '\n';
            result.console_bytes += line.size() + 1;
            if (request.on_console_line) request.on_console_line(line, at);
          }
          log.push_back(std::move(e));
        }
      }
    };

    auto cancel = [&] {
      cancel_requested = true;
      cancelled_at = Clock::now();
      (void)api_->Cancel(*id);
    };
    while (true) {
      if (request.stop.stop_requested() && !cancel_requested) cancel();
      auto st = api_->State(*id);
      if (!st) return std::unexpected(st.error().Wrap(fmt::format("following LAVA job {}", *id)));
      state = *st;
      if (state.running() && !running_since) running_since = Clock::now();
      if (auto r = read_log(); !r) return std::unexpected(r.error().Wrap(fmt::format("reading LAVA job {}'s log", *id)));
      if (state.finished()) break;
      auto now = Clock::now();
      bool queue_over = !running_since && now - submitted > settings_.queue_timeout;
      bool run_over = running_since && now - *running_since > request.timeout + std::chrono::minutes(5);
      if ((queue_over || run_over) && !cancel_requested) {
        // LAVA's own job timeout should have ended it; the lab's deadline
        // holds even when LAVA's does not.
        timed_out = true;
        cancel();
        if (queue_over) return FailAs(Error::Kind::kTimeout, "LAVA job {} waited {} s for a {} device", *id,
                                      settings_.queue_timeout.count(), settings_.device_type);
      }
      if (cancelled_at && now - *cancelled_at > std::chrono::minutes(2)) {
        return FailAs(request.stop.stop_requested() ? Error::Kind::kCancelled : Error::Kind::kTimeout,
                      "LAVA job {} did not end within 2 minutes of its cancellation", *id);
      }
      Pause(request.stop, settings_.poll);
    }
    console.flush();
    if (!state.actual_device.empty()) {
      auto worker = api_->WorkerOf(state.actual_device);
      result.worker = worker ? fmt::format("{}/{}", *worker, state.actual_device) : state.actual_device;
    }
    JobEnd end = DecideJobEnd(state, log, kernel_started, cancel_requested);
    if (timed_out && end.kind == JobEnd::Kind::kBoot) end.end = vm::EndReason::kTimeout;
    result.end_detail = fmt::format("job {}: {}", *id, end.detail);
    switch (end.kind) {
      case JobEnd::Kind::kBoot:
        result.end = request.stop.stop_requested() ? vm::EndReason::kCancelled : end.end;
        return result;
      case JobEnd::Kind::kLabError:
        return Fail("LAVA job {} failed before the kernel started: {} ({}job/{})", *id, end.detail, api_->Url(), *id);
      case JobEnd::Kind::kRetry:
        if (attempt >= settings_.infrastructure_retries) {
          return Fail("LAVA job {} failed before the kernel started, {} times: {}", *id, attempt + 1, end.detail);
        }
        break;  // resubmit
    }
  }
}

Result<std::unique_ptr<vm::Hypervisor>> OpenLava(const LavaOptions& options) {
  std::optional<std::string> token;
  if (options.token_file) {
    auto t = ReadTokenFile(*options.token_file);
    if (!t) return std::unexpected(t.error());
    token = *t;
  }
  std::string version;
  auto api = OpenLavaApi(options.url, token, &version);
  if (!api) return std::unexpected(api.error());
  auto server = ArtifactServer::Start(options.serve, options.artifact_url);
  if (!server) return std::unexpected(server.error());
  return std::unique_ptr<vm::Hypervisor>(
      std::make_unique<LavaHypervisor>(std::move(*api), std::move(*server), options.settings, version));
}

}  // namespace rfl::lava

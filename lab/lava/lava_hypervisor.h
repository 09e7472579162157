#pragma once
// Boots on LAVA (`run --backend lava`): the vm::Hypervisor whose Boot()
// publishes the kernel and initramfs on the lab's artifact server, submits
// one LAVA job (job_definition.h), follows it to its end with a deadline,
// turns the job log's guest lines back into the console (file and
// on_console_line, so the agent's console records and the classifier work as
// for a local boot), and maps LAVA's verdict to how the boot ended without
// blaming the kernel for LAVA's own failures (JobEnd below). Ctrl-C (the
// request's stop token) cancels the submitted job.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lab/lava/artifact_server.h"
#include "lab/lava/client.h"
#include "lab/lava/job_log.h"
#include "lab/vm/hypervisor.h"

namespace rfl::lava {

struct LavaSettings {
  std::string device_type = "qemu";
  std::vector<std::string> tags;
  std::chrono::milliseconds poll{std::chrono::seconds(2)};
  // Waiting for a free device does not count against the boot's timeout;
  // this bounds it.
  std::chrono::seconds queue_timeout{std::chrono::hours(2)};
  // An infrastructure failure before the kernel started is resubmitted this
  // many times before the boot is an error of the lab.
  int infrastructure_retries = 2;
};

// How a finished job ended, for the lab.
struct JobEnd {
  enum class Kind {
    kBoot,            // the guest ran: `end` says how its boot ended
    kRetry,           // LAVA's infrastructure failed before the kernel ran
    kLabError,        // LAVA refused the job's setup (not the kernel's fault)
  };
  Kind kind = Kind::kBoot;
  vm::EndReason end = vm::EndReason::kGuestStopped;
  std::string detail;  // LAVA's health and error, for the record
};

// The decision, from the job's state, its log's `job` result and whether the
// guest printed the kernel's banner ("Linux version", LAVA's own
// kernel-start message):
// - Complete: the agent's done prompt was seen: the guest stopped.
// - Incomplete after the kernel started: the guest ended the connection
//   (a panic's reboot under -no-reboot shows as LAVA's "Infrastructure:
//   Connection closed") or ran out of time: the console decides, as for a
//   local boot.
// - Incomplete before the kernel started: LAVA's Infrastructure errors are
//   retried; Job/Configuration errors (a bad QEMU option) are the lab's.
// - Canceled: cancelled when the lab asked, else retried.
JobEnd DecideJobEnd(const JobState& state, const std::vector<LogEntry>& log, bool kernel_started,
                    bool cancel_requested);

class LavaHypervisor final : public vm::Hypervisor {
 public:
  LavaHypervisor(std::unique_ptr<LavaApi> api, std::unique_ptr<ArtifactServer> artifacts, LavaSettings settings,
                 std::string version);
  [[nodiscard]] Result<vm::BootResult> Boot(const vm::BootRequest& request) override;
  std::string Uri() const override { return api_->Url(); }
  std::string Backend() const override { return "lava"; }
  [[nodiscard]] Result<std::string> Describe() override;
  bool Remote() const override { return true; }

 private:
  std::unique_ptr<LavaApi> api_;
  std::unique_ptr<ArtifactServer> artifacts_;
  LavaSettings settings_;
  std::string version_;
};

// Opens the LAVA backend: the REST client (checked against the server) and
// the artifact server on `serve` (ADDR:PORT) with its public URL.
struct LavaOptions {
  std::string url;
  std::optional<std::string> token_file;
  std::string serve = "127.0.0.1:0";
  std::optional<std::string> artifact_url;
  LavaSettings settings;
};
[[nodiscard]] Result<std::unique_ptr<vm::Hypervisor>> OpenLava(const LavaOptions& options);

}  // namespace rfl::lava

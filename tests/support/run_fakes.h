#pragma once
// Fakes for unit tests of the run (pipeline/run.h): a hypervisor that boots
// nothing and plays a scripted boot, a builder that returns scripted
// outcomes at once, and a results store in a temporary directory (the real
// SQLite store). With them a whole run — builds, boots, retries, resume,
// extra rounds, Ctrl-C — takes milliseconds and touches no VM, kernel or
// network. The real libvirt and real builds are the integration tests'.
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "images/agent/protocol.h"
#include "lab/pipeline/builder.h"
#include "lab/results/store.h"
#include "lab/scenario/load.h"
#include "lab/scenario/plan.h"
#include "lab/util/paths.h"
#include "lab/util/temp_dir.h"
#include "lab/vm/hypervisor.h"

namespace rfl::test {

// What one fake boot does.
struct ScriptedBoot {
  std::string console;                         // written to the console file
  std::vector<agent::Body> records;            // framed like the real agent, sent over the channel
  vm::EndReason end = vm::EndReason::kGuestStopped;
  std::optional<Error> error;                  // Boot() fails: a lab error
  bool block_until_stopped = false;            // a boot that runs until its stop token fires
  std::function<void()> on_start;              // runs when the boot starts (tests use it to interrupt)
};

// The agent's records of a passing boot: hello, one sample per (metric,
// value), one passed workload result per workload name, done.
std::vector<agent::Body> PassingRecords(const std::vector<std::pair<std::string, double>>& samples = {},
                                        const std::vector<std::string>& workloads = {"boot"});
ScriptedBoot PassingBoot(const std::vector<std::pair<std::string, double>>& samples = {});
// A boot that panics: a real console (tests/fixtures/consoles/debian-6.1-panic-forced.log), no agent.
ScriptedBoot PanickingBoot();

class FakeHypervisor final : public vm::Hypervisor {
 public:
  // The variant is the boot's domain name prefix minus "rfl-lab-".
  using Script = std::function<ScriptedBoot(const vm::BootRequest& request, const std::string& variant, int call)>;
  explicit FakeHypervisor(Script script) : script_(std::move(script)) {}

  Result<vm::BootResult> Boot(const vm::BootRequest& request) override;
  std::string Uri() const override { return "fake://"; }
  std::string Backend() const override { return backend_; }
  void set_backend(std::string b) { backend_ = std::move(b); }
  Result<std::string> Describe() override { return std::string("fake hypervisor"); }
  bool Remote() const override { return remote_; }
  void set_remote(bool r) { remote_ = r; }

  // Variants of the boots, in the order they started.
  std::vector<std::string> started() const;
  int max_concurrent() const { return max_concurrent_.load(); }

 private:
  Script script_;
  bool remote_ = false;
  std::string backend_ = "fake";
  mutable std::mutex mu_;
  std::vector<std::string> started_;
  std::atomic<int> running_{0};
  std::atomic<int> max_concurrent_{0};
};

// A kernel build that never ran: an artifact whose image is a file in `dir`,
// with `config` as its final .config when given (else none: nothing skipped).
kernel::BuildOutcome BuiltOutcome(const scenario::BuildSpec& spec, const std::filesystem::path& dir,
                                  const std::string& config = {});
kernel::BuildOutcome FailedOutcome(const scenario::BuildSpec& spec, kernel::FailureClass cls, std::string message);

class FakeBuilder final : public pipeline::KernelBuilder {
 public:
  // Called once per build, after the build said it has its tree; the
  // default builds everything.
  using Script = std::function<Result<kernel::BuildOutcome>(const scenario::BuildSpec& spec, std::stop_token stop)>;
  explicit FakeBuilder(std::filesystem::path image_dir, Script script = {})
      : image_dir_(std::move(image_dir)), script_(std::move(script)) {}

  Result<kernel::BuildOutcome> Build(const scenario::BuildSpec& spec, std::stop_token stop,
                                     std::function<void()> tree_ready) override;
  std::vector<std::string> built() const;  // variants joined by ',', in build order

 private:
  std::filesystem::path image_dir_;
  Script script_;
  mutable std::mutex mu_;
  std::vector<std::string> built_;
};

// One test's lab: temp cache and state dirs, a fake agent binary for every
// arch, a real SQLite store, and a scenario loaded from YAML text.
class RunFixture {
 public:
  explicit RunFixture(const std::string& scenario_yaml);
  const scenario::Plan& plan() const { return plan_; }
  const scenario::Scenario& scenario() const { return *loaded_->scenario; }
  results::Store& store() { return *store_; }
  const LabDirs& dirs() const { return dirs_; }
  const std::filesystem::path& agent_dir() const { return agent_dir_; }
  const std::filesystem::path& root() const { return root_.path(); }
  std::string diagnostics() const { return loaded_->diagnostics.Render(); }

 private:
  TempDir root_;
  LabDirs dirs_;
  std::filesystem::path agent_dir_;
  std::unique_ptr<scenario::LoadedScenario> loaded_;
  scenario::Plan plan_;
  std::unique_ptr<results::Store> store_;
};

}  // namespace rfl::test

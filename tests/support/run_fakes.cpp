#include "tests/support/run_fakes.h"

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "lab/util/paths.h"

namespace rfl::test {
namespace fs = std::filesystem;

std::vector<agent::Body> PassingRecords(const std::vector<std::pair<std::string, double>>& samples,
                                        const std::vector<std::string>& workloads) {
  std::vector<agent::Body> out;
  out.push_back(agent::Hello{std::string(agent::kAgentVersion), agent::kProtocolVersion, "fake", "7.3.4", "x86_64",
                             0.5, "virtio-port"});
  for (const auto& [metric, value] : samples) out.push_back(agent::Sample{"binder", metric, "seconds", value, {}});
  for (const auto& w : workloads) out.push_back(agent::WorkloadResult{w, agent::Status::kPassed, "", 0.1, ""});
  out.push_back(agent::Done{static_cast<int>(workloads.size()), 0, 0, 1.0});
  return out;
}

ScriptedBoot PassingBoot(const std::vector<std::pair<std::string, double>>& samples) {
  ScriptedBoot b;
  b.console = "Run /init as init process\n";
  b.records = PassingRecords(samples);
  return b;
}

ScriptedBoot PanickingBoot() {
  ScriptedBoot b;
  b.console = ReadFile(fs::path(RFL_LAB_FIXTURES_DIR) / "consoles" / "debian-6.1-panic-forced.log").value_or("");
  EXPECT_FALSE(b.console.empty()) << "missing console fixture";
  b.end = vm::EndReason::kGuestStopped;
  return b;
}

Result<vm::BootResult> FakeHypervisor::Boot(const vm::BootRequest& req) {
  std::string variant = req.name_prefix.starts_with("rfl-lab-") ? req.name_prefix.substr(8) : req.name_prefix;
  int call = 0;
  {
    std::lock_guard lock(mu_);
    call = static_cast<int>(started_.size());
    started_.push_back(variant);
  }
  int now = ++running_;
  for (int seen = max_concurrent_.load(); now > seen && !max_concurrent_.compare_exchange_weak(seen, now);) {
  }
  struct Leave {
    std::atomic<int>& n;
    ~Leave() { --n; }
  } leave{running_};

  ScriptedBoot script = script_(req, variant, call);
  if (script.on_start) script.on_start();
  if (script.error) return std::unexpected(*script.error);
  vm::BootResult r;
  r.domain_name = fmt::format("{}-{}", req.name_prefix, call);
  r.accel = req.accel;
  r.console_path = req.console_path;
  if (script.block_until_stopped) {
    for (int i = 0; i < 500 && !req.stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    r.end = vm::EndReason::kCancelled;
    r.end_detail = "interrupted";
    return r;
  }
  std::ofstream(req.console_path) << script.console;
  uint64_t seq = 0;
  for (const auto& body : script.records) {
    std::string line = agent::FrameLine(agent::Record{seq++, body});
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (req.on_agent_line) req.on_agent_line(line, vm::Seconds(0.01 * static_cast<double>(seq)));
  }
  r.end = script.end;
  r.end_detail = "fake";
  r.first_console_byte = vm::Seconds(0.001);
  r.total = vm::Seconds(0.02);
  r.console_bytes = script.console.size();
  return r;
}

std::vector<std::string> FakeHypervisor::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

kernel::BuildOutcome BuiltOutcome(const scenario::BuildSpec& spec, const fs::path& dir, const std::string& config) {
  kernel::BuildOutcome o;
  o.status = kernel::BuildOutcome::Status::kBuilt;
  o.build_key = spec.key;
  o.artifact_key = spec.key;
  kernel::Artifact a;
  a.key = spec.key;
  a.build_key = spec.key;
  a.dir = dir / spec.key;
  a.image = a.dir / "bzImage";
  a.arch = std::string(ArchName(spec.arch));
  a.variants = spec.variants;
  (void)EnsureDir(a.dir);
  std::ofstream(a.image) << "not a kernel: the fake hypervisor boots nothing";
  if (!config.empty()) {
    a.config = a.dir / "config";
    std::ofstream(a.config) << config;
  }
  o.artifact = a;
  return o;
}

kernel::BuildOutcome FailedOutcome(const scenario::BuildSpec& spec, kernel::FailureClass cls, std::string message) {
  kernel::BuildOutcome o;
  o.status = kernel::BuildOutcome::Status::kFailed;
  o.build_key = spec.key;
  o.failure = kernel::BuildFailure{cls, std::move(message), {}, {}};
  return o;
}

Result<kernel::BuildOutcome> FakeBuilder::Build(const scenario::BuildSpec& spec, std::stop_token stop,
                                                std::function<void()> tree_ready) {
  {
    std::lock_guard lock(mu_);
    built_.push_back(fmt::format("{}", fmt::join(spec.variants, ",")));
  }
  if (tree_ready) tree_ready();
  if (script_) return script_(spec, stop);
  return BuiltOutcome(spec, image_dir_);
}

std::vector<std::string> FakeBuilder::built() const {
  std::lock_guard lock(mu_);
  return built_;
}

RunFixture::RunFixture(const std::string& scenario_yaml) {
  auto root = TempDir::Create(fs::temp_directory_path(), "rfl-lab-run-test-");
  EXPECT_TRUE(root.has_value());
  root_ = std::move(*root);
  dirs_.cache = root_.path() / "cache";
  dirs_.state = root_.path() / "state";
  dirs_.data = RFL_LAB_SOURCE_DIR;
  agent_dir_ = root_.path() / "agents";
  for (const char* arch : {"x86_64", "arm64", "riscv64"}) {
    (void)EnsureDir(agent_dir_ / arch);
    std::ofstream(agent_dir_ / arch / "rfl-agent") << "fake agent for " << arch;
  }
  auto catalog = scenario::Catalog::FromDataDir(RFL_LAB_SOURCE_DIR);
  loaded_ = std::make_unique<scenario::LoadedScenario>(
      scenario::ParseScenario("test.yaml", scenario_yaml, root_.path(), catalog));
  EXPECT_TRUE(loaded_->scenario.has_value()) << loaded_->diagnostics.Render();
  if (!loaded_->scenario) return;
  auto plan = scenario::ExpandPlan(*loaded_->scenario);
  EXPECT_TRUE(plan.has_value());
  if (plan) plan_ = std::move(*plan);
  auto store = results::OpenSqliteStore(dirs_.state / "results.sqlite3");
  EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().message);
  if (store) store_ = std::move(*store);
}

}  // namespace rfl::test

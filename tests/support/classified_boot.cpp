#include "tests/support/classified_boot.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "lab/pipeline/boot_job.h"
#include "lab/util/paths.h"
#include "lab/vm/classifier.h"

namespace rfl::test {

results::BootRecord ClassifiedBoot(const std::string& console, results::BootRecord identity) {
  auto path = std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "consoles" / console;
  auto text = ReadFile(path);
  EXPECT_TRUE(text.has_value()) << "missing console fixture " << path;
  std::string log = text ? *text : std::string();
  vm::ClassifyInput in;
  in.console = log;
  in.end = vm::EndReason::kGuestStopped;
  pipeline::RecordClassification(vm::Classify(in), identity);
  identity.console_path = path.string();
  return identity;
}

Result<int64_t> WriteClassifiedRun(results::Store& store, const std::vector<std::pair<std::string, std::string>>& boots,
                                   const std::string& scenario) {
  results::RunInfo info;
  info.scenario_name = scenario;
  info.scenario_text = "# boots classified from tests/fixtures/consoles\n";
  info.scenario_hash = scenario;
  info.lab_version = "test";
  info.host = "test";
  info.timing = "wall";  // TCG without icount, as the consoles were captured
  info.baseline = "baseline";
  for (const auto& [variant, console] : boots) {
    auto known = [&](const results::VariantInfo& v) { return v.name == variant; };
    if (std::none_of(info.variants.begin(), info.variants.end(), known)) {
      info.variants.push_back({variant, Expect::kPass, {}, {}});
    }
  }
  std::stable_partition(info.variants.begin(), info.variants.end(),
                        [](const results::VariantInfo& v) { return v.name == "baseline"; });
  auto run = store.BeginRun(info);
  if (!run) return run;
  std::map<std::string, int> repetitions;
  double clock = 1795000000;
  for (const auto& [variant, console] : boots) {
    results::BootRecord identity;
    identity.build_key = "debian-6.1-" + variant;
    identity.variant = variant;
    identity.arch = "x86_64";
    identity.toolchain = "debian";
    identity.kernel = "6.1";
    identity.repetition = repetitions[variant]++;
    identity.accel = "tcg";
    identity.timing = "wall";
    identity.started_unix = clock;
    clock += 10;
    identity.ended_unix = clock;
    if (auto r = store.RecordBoot(*run, ClassifiedBoot(console, identity)); !r) return std::unexpected(r.error());
  }
  if (auto s = store.FinishRun(*run, results::RunStatus::kCompleted); !s) return std::unexpected(s.error());
  return run;
}

}  // namespace rfl::test

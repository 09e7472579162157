#include "tests/support/classified_boot.h"

#include <filesystem>

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

}  // namespace rfl::test

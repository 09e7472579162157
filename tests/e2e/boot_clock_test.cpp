// `rfl-lab boot` of the quickstart x86 kernel (no ACPI) under TCG with real
// time, through libvirt as the lab boots it: the lab's clock words give the
// guest a TSC clock finer than 1 us; a user's `tsc=unstable` takes them back
// (refined-jiffies), and the agent's warning about the coarse clock reaches
// the output (docs/agent-protocol.md, "Workload details").
// RFL_LAB_TEST_KERNEL_X86_64 names another bzImage instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "lab/util/process.h"
#include "lab/vm/guest_clock.h"
#include "tests/support/test_kernel.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;

ProcessResult Boot(const fs::path& kernel, const fs::path& state, std::vector<std::string> append) {
  Command cmd;
  cmd.argv = {RFL_LAB_BINARY, "--state-dir", state.string(), "boot",   "--kernel", kernel.string(),
              "--accel",      "tcg",         "--timing",     "wall",   "--workload", "binder"};
  for (auto& w : append) cmd.argv.insert(cmd.argv.end(), {"--append", w});
  cmd.cwd = RFL_LAB_SOURCE_DIR;
  cmd.timeout = std::chrono::minutes(5);
  auto r = DefaultRunner().Run(cmd);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r.value_or(ProcessResult{});
}

// binder/clock_resolution from the text output; -1 when absent.
double ClockResolution(const std::string& out) {
  const std::string key = "binder/clock_resolution = ";
  auto at = out.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(out.substr(at + key.size()));
}

TEST(BootClock, TheLabsTscWordsGiveAnX86KernelWithoutAcpiAFineClockAndTheAgentWarnsWithout) {
  if (!vm::HostTscKhz()) GTEST_SKIP() << "this host's TSC rate is unknown (not x86_64, or no constant_tsc)";
  fs::path image;
  if (const char* k = std::getenv("RFL_LAB_TEST_KERNEL_X86_64"); k && *k) {
    image = k;
  } else {
    auto kernel = test::QuickstartKernel(Arch::kX86_64);
    ASSERT_TRUE(kernel.has_value()) << kernel.error().message;
    image = kernel->image;
  }
  fs::path state = fs::temp_directory_path() / ("rfl-e2e-boot-clock-" + std::to_string(getpid()));
  fs::remove_all(state);

  auto fine = Boot(image, state, {});
  ASSERT_EQ(fine.exit_code, 0) << fine.output;
  double step = ClockResolution(fine.output);
  EXPECT_GT(step, 0) << fine.output;
  EXPECT_LT(step, 1e-6) << fine.output;
  EXPECT_EQ(fine.output.find("warn: binder: CLOCK_MONOTONIC"), std::string::npos) << fine.output;

  auto coarse = Boot(image, state, {"tsc=unstable"});
  ASSERT_EQ(coarse.exit_code, 0) << coarse.output;
  EXPECT_GT(ClockResolution(coarse.output), 1e-3) << coarse.output;
  EXPECT_NE(coarse.output.find("warn: binder: CLOCK_MONOTONIC moves in steps of 4."), std::string::npos)
      << coarse.output;
  std::error_code ec;
  fs::remove_all(state, ec);
}

}  // namespace
}  // namespace rfl

// Decoding a real console capture: the agent as PID 1 of a stock Debian
// kernel (no virtio console driver built in), records on the console between
// kernel output. See tests/fixtures/agent/README.md for how it was captured.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "images/agent/protocol.h"

namespace rfl::agent {
namespace {

std::string ReadFixture(const char* name) {
  std::ifstream in(std::string(RFL_LAB_FIXTURES_DIR) + "/agent/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AgentConsole, RealConsoleCaptureDecodesCompletely) {
  std::string console = ReadFixture("console-debian-6.1-x86_64.log");
  RecordDecoder d;
  d.Feed(console);
  d.Finish();
  auto records = d.Take();
  EXPECT_EQ(d.rejected_lines(), 0);
  EXPECT_EQ(d.missing_records(), 0u);
  ASSERT_GE(records.size(), 3u);
  auto* hello = std::get_if<Hello>(&records.front().body);
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->transport, "console");
  EXPECT_EQ(hello->kernel_release, "6.1.0-56-amd64");
  auto* done = std::get_if<Done>(&records.back().body);
  ASSERT_NE(done, nullptr);
  std::map<std::string, Status> first_result;
  for (const auto& r : records) {
    if (auto* w = std::get_if<WorkloadResult>(&r.body)) first_result.try_emplace(w->workload, w->status);
  }
  // The plan's first workload was `/init --stall 600` with a 1 s timeout.
  EXPECT_EQ(first_result.at("command"), Status::kFailed);
  EXPECT_EQ(first_result.at("boot"), Status::kPassed);
  EXPECT_EQ(first_result.at("binder"), Status::kSkipped);  // Debian builds binder as a module
  EXPECT_EQ(done->failed + done->passed + done->skipped, 7);
}

TEST(AgentConsole, RealCaptureWithOneByteFlippedLosesExactlyThatRecord) {
  std::string console = ReadFixture("console-debian-6.1-x86_64.log");
  size_t at = console.find("\"type\":\"workload-result\"");
  ASSERT_NE(at, std::string::npos);
  console[at + 3] = 'T';
  RecordDecoder clean, mangled;
  clean.Feed(ReadFixture("console-debian-6.1-x86_64.log"));
  mangled.Feed(console);
  EXPECT_EQ(mangled.rejected_lines(), 1);
  EXPECT_EQ(mangled.missing_records(), 1u);
  EXPECT_EQ(mangled.Take().size() + 1, clean.Take().size());
}

}  // namespace
}  // namespace rfl::agent

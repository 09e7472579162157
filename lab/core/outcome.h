#pragma once
// What a variant is expected to do, and how a boot ended: one enum each for
// the whole lab. The classifier produces BootOutcome, the store keeps its
// name, reports and exporters read it back; `expect` in a scenario and in a
// stored run is the same Expect.
#include <optional>
#include <string_view>
#include <vector>

namespace rfl {

// What a variant is expected to do; anything else is a finding.
enum class Expect { kPass, kBuildFailure, kBootFailure };
std::string_view ExpectName(Expect e);  // "pass", "build-failure", "boot-failure"
std::optional<Expect> ParseExpect(std::string_view s);

// How a boot ended; never just pass/fail (docs/outcomes.md). "warning" means
// a console warning that no allowed-warning pattern matched.
enum class BootOutcome {
  kPassed,
  kBuildFailed,
  kBootTimeout,
  kKernelPanic,
  kOops,
  kRustPanic,
  kWarning,
  kHang,
  kInitFailed,
  kWorkloadFailed,
  kAgentLost,
};
// passed, build-failed, boot-timeout, kernel-panic, oops, rust-panic,
// warning, hang, init-failed, workload-failed, agent-lost
std::string_view BootOutcomeName(BootOutcome o);
std::optional<BootOutcome> ParseBootOutcome(std::string_view s);
const std::vector<BootOutcome>& AllBootOutcomes();

// The outcomes a kernel report on the console decides, the classifier then
// giving the boot the report's title (docs/outcomes.md): every class of a
// report rule (lab/vm/report_rules.cpp). kernel-panic is also what a crash
// the hypervisor reports with nothing on the console gets, without a title.
inline constexpr BootOutcome kKernelReportOutcomes[] = {
    BootOutcome::kRustPanic, BootOutcome::kOops,        BootOutcome::kHang,
    BootOutcome::kInitFailed, BootOutcome::kKernelPanic, BootOutcome::kWarning,
};

}  // namespace rfl

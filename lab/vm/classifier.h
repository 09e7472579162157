#pragma once
// BootOutcome classifier: one class per boot, with the console excerpt that
// proves it. Three signals combine (see docs/outcomes.md):
//
//   1. console patterns — kernel reports found line by line (Rust panic,
//      Oops/BUG/sanitizer, lockup/stall/hung task, init failure, panic,
//      WARNING), timestamps and printk caller ids stripped first;
//   2. how the guest ended (its own power-off/restart, timeout, silence);
//   3. the agent's records (hello, done, failed workloads).
//
// Precedence, highest first (the first that applies wins):
//   build-failed > rust-panic > oops > hang > init-failed > kernel-panic >
//   boot-timeout > agent-lost > workload-failed > warning > passed
// so a root cause wins over what it causes: a Rust panic over the BUG/Oops
// and the kernel panic it triggers and over the timeout that follows; an
// Oops over the "Fatal exception" panic and over "Attempted to kill init"; a
// lockup over the panic that softlockup_panic raises. A kernel report beats
// the host-side symptom (timeout, silence, a lost agent). Warnings matching
// an allowed regex are excused (listed, not counted).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/core/outcome.h"
#include "lab/vm/boot.h"

namespace rfl::vm {

// What the agent's records said (built by the caller from decoded records).
struct AgentSummary {
  bool hello_seen = false;
  bool done_seen = false;
  std::vector<std::string> failed_workloads;  // names, with reasons if known
};

struct ClassifyInput {
  std::string_view console;
  // nullopt: no agent was expected (a saved console, a bare kernel boot).
  std::optional<AgentSummary> agent;
  // nullopt: unknown (a saved console from elsewhere).
  std::optional<EndReason> end;
  std::string end_detail;
  // Regexes (ECMAScript) over a warning's report text; a match excuses it.
  std::vector<std::string> allowed_warnings;
  bool build_failed = false;
  std::string build_detail;
};

// One kernel report found in the console.
struct Finding {
  BootOutcome outcome;
  size_t line = 0;    // 1-based line of the report's first line
  std::string title;  // the report's key line, timestamps stripped
  bool excused = false;  // warnings: matched an allowed regex
  std::string excused_by;
};

struct Classification {
  BootOutcome outcome = BootOutcome::kPassed;
  std::string reason;   // one sentence: why this class
  size_t line = 0;      // 1-based console line of the evidence, 0 if none
  std::string excerpt;  // console lines around the evidence, verbatim
  std::vector<Finding> findings;  // every report found, in console order
  std::vector<std::string> notes;  // e.g. an allowed-warning regex that does not compile
};

// Never fails: an unknown console classifies as passed (no pattern) with a
// reason that says what was and was not known.
Classification Classify(const ClassifyInput& input);

}  // namespace rfl::vm

#pragma once
// BootOutcome classifier: one class per boot, with the console excerpt that
// proves it. Three signals combine (see docs/outcomes.md):
//
//   1. console patterns — kernel reports found line by line (Rust panic,
//      Oops/BUG/sanitizer, lockup/stall/hung task, init failure, panic,
//      WARNING), timestamps and printk caller ids stripped first. The
//      patterns are data: one row per kernel format in report_rules.cpp;
//   2. how the guest ended (its own power-off/restart, timeout, silence);
//   3. the agent's records (hello, done, failed workloads).
//
// Precedence, highest first (the first that applies wins):
//   build-failed > rust-panic > oops > hang > init-failed > kernel-panic >
//   boot-timeout > agent-lost > workload-failed > warning > passed
// so a root cause wins over what it causes: a Rust panic over the BUG/Oops
// and the kernel panic it triggers and over the timeout that follows; an
// Oops over the "Fatal exception" panic and over "Attempted to kill init"; a
// lockup over the panic that softlockup_panic raises, a WARNING over the
// panic_on_warn panic (such panics are "consequences": they take their
// cause's class). A kernel report beats the host-side symptom (timeout,
// silence, a lost agent). Warnings matching an allowed RE2 pattern are
// excused (listed, not counted).
//
// The console is read as a stream (ConsoleClassifier::Feed): memory is
// bounded by what precedence and excerpts need, not by the log's size, so
// `rfl-lab classify` reads a 200 MB log in one pass.
//
// Titles: every finding gets a title like syzkaller's ("KASAN:
// slab-out-of-bounds Read in ip6_fragment", "WARNING in foo", "possible
// deadlock in bar", "INFO: task hung in baz") so the same bug can be grouped
// across boots; Classification::title is the title of the evidence.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lab/core/outcome.h"
#include "lab/util/result.h"
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
  // RE2 patterns searched in a warning's report text; a match excuses it.
  std::vector<std::string> allowed_warnings;
  bool build_failed = false;
  std::string build_detail;
};

// One kernel report found in the console.
struct Finding {
  BootOutcome outcome;
  size_t line = 0;    // 1-based line of the report's first line
  std::string title;  // syzkaller-like title: "WARNING in foo", "KASAN: use-after-free Read in bar"
  std::string text;   // the report's first line, printk prefix stripped
  bool excused = false;  // warnings: matched an allowed pattern
  std::string excused_by;
  // A panic caused by an earlier report (panic_on_warn, panic_on_oops,
  // hung_task_panic, softlockup_panic): its class is its cause's.
  bool consequence = false;
  // Printed after the kernel panicked (other CPUs being stopped, the panic's
  // own fallout) and before any new boot: listed, never the class.
  bool after_panic = false;
  std::string_view source;  // the kernel file that prints this report (report_rules.cpp)
};

inline constexpr size_t kFindingsCap = 64;
// + one per kernel-report class + the last allowed warning, not yet dropped.
inline constexpr size_t kMaxFindingsBound = kFindingsCap + std::size(kKernelReportOutcomes) + 1;

struct Classification {
  BootOutcome outcome = BootOutcome::kPassed;
  std::string reason;   // one sentence: why this class
  // The evidence's title (Finding::title) when a kernel report decided the
  // class; empty for passed, boot-timeout, agent-lost, workload-failed,
  // build-failed. Stable across boots of the same bug: group by it.
  std::string title;
  size_t line = 0;      // 1-based console line of the evidence, 0 if none
  std::string excerpt;  // console lines around the evidence, verbatim
  // Every report found, in console order: the first kFindingsCap, then at
  // most one unexcused report per class (precedence needs it) and the last
  // allowed warning; past the cap, allowed warnings are counted and dropped
  // and nothing is added after a panic. So at most kMaxFindingsBound.
  std::vector<Finding> findings;
  std::vector<std::string> notes;  // e.g. an allowed-warning pattern that does not compile
  size_t console_lines = 0;  // lines read
  // Lines that are kernel output for sure: a printk timestamp or level, or a
  // report. 0 means the input is not a kernel console (empty, random bytes).
  size_t kernel_lines = 0;
};

// Streaming classifier: Feed() the console in chunks of any size, then
// Finish() with the other signals. Holds a bounded window of lines, never
// the whole console; lines longer than 64 KiB are cut (the rest ignored).
class ConsoleClassifier {
 public:
  // `allowed_warnings`: RE2 patterns; one that does not compile becomes a note.
  explicit ConsoleClassifier(const std::vector<std::string>& allowed_warnings);
  ~ConsoleClassifier();
  ConsoleClassifier(const ConsoleClassifier&) = delete;
  ConsoleClassifier& operator=(const ConsoleClassifier&) = delete;

  void Feed(std::string_view bytes);
  // Ends the console and decides; `signals.console` is ignored.
  Classification Finish(const ClassifyInput& signals);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Never fails: an unknown console classifies as passed (no pattern) with a
// reason that says what was and was not known.
Classification Classify(const ClassifyInput& input);

// Classifies a saved console log by streaming it (1 MiB at a time). Errors:
// kNotFound (missing), kInput (not a regular file: a directory, device, FIFO;
// checked before reading), kInternal (read error), kCancelled (Ctrl-C, checked
// between chunks). `signals.console` is ignored.
Result<Classification> ClassifyFile(const std::filesystem::path& path, const ClassifyInput& signals);

// kInput error naming `pattern` when it is not a valid RE2 pattern (the
// syntax allowed_warnings and --allow-warning use).
Status CheckAllowedWarning(const std::string& pattern);

}  // namespace rfl::vm

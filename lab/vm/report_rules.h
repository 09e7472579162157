#pragma once
// The kernel's report formats as data. One row per format the kernel prints
// (kernels 4.x–7.x; x86_64, arm64, arm32, riscv64, s390, powerpc): an RE2
// pattern anchored at the start of a console line (printk level, timestamp
// and caller id already stripped), the class it means, how its title is
// formed, and the kernel file that prints it. A new format is one new row in
// report_rules.cpp; the classifier (classifier.cpp) has no pattern of its own.
//
// Rows are tried in table order and the first that matches wins, so specific
// rows come before general ones ("BUG: soft lockup" before "BUG: …").
// Anchoring is deliberate: text that merely contains "BUG:" or "WARNING:"
// (a task's command name, a user string echoed by a driver, a mount-option
// banner) is not a report.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lab/core/outcome.h"

namespace rfl::vm {

// What a matching line means for the boot's class.
enum class ReportRole {
  kReport,        // a kernel report in its own right
  kConsequence,   // a panic another report causes (panic_on_warn, panic_on_oops, hung_task_panic,
                  // softlockup_panic): its class is the cause's, never kernel-panic
  kContinuation,  // a later header line of a report already open ("Oops: 0002 [#1]" after "BUG: …",
                  // "Internal error: Oops" after "Unable to handle …"): a report only when none is open
  kIgnore,        // looks like a report, is not one (printed by user space, or a notice)
};

// How a title's `%f` (function) and `%a` (access) are found after the first line.
enum class TitleFrom {
  kHeader,      // the first line's captures are enough
  kPcFrame,     // %f: the faulting function (RIP/IP/PC/pc/epc/NIP/PSW line), else the first trace frame
  kTraceFrame,  // %f: the first call-trace frame not skipped (the header's capture first, if the row names one)
  kLockAt,      // %f: the first "at: FUNC" after the header (lockdep's acquire/release site)
  kKasan,       // %a: Read/Write from the "… of size N" line; %f: the header's function
  kHungTask,    // %f: the first trace frame that is not scheduling, locking or waiting
  kStall,       // %f: the first trace frame after the interrupt entry (<EOI>, </IRQ>)
  kLeak,        // %f: the first "backtrace:" frame that is not an allocator
};

struct ReportRule {
  std::string_view pattern;  // RE2, anchored at the line start; captures feed $1..$9 of `title`
  BootOutcome outcome;       // the class this report gives the boot
  ReportRole role;
  std::string_view title;    // syzkaller-like title: $N = capture N, %f = function, %a = access
  TitleFrom title_from;
  int frame_capture;         // capture holding a candidate function (0: none)
  std::string_view skip;     // extra frame substrings to skip, comma-separated
  bool needs_timestamp;      // only on a timestamped kernel line (not a user program's output)
  std::string_view source;   // the kernel file that prints it
};

// Every row, in match order.
std::span<const ReportRule> ReportRules();

// A row that matched a line, with its captures.
struct RuleMatch {
  const ReportRule* rule = nullptr;
  std::vector<std::string> captures;  // [0] = $1, …
};

// The first row matching `text` (a normalized console line), if any. All rows
// are compiled once into one RE2::Set (linear time); captures are taken only
// for the row that matched.
std::optional<RuleMatch> MatchReportRule(std::string_view text);

// The same in two steps, so a caller that will not keep the finding skips the
// captures: the first matching row (nullptr if none), then its captures.
const ReportRule* FindReportRule(std::string_view text);
RuleMatch CaptureReportRule(const ReportRule& rule, std::string_view text);

// One stack-trace line, parsed.
struct Frame {
  std::string function;       // compiler suffixes (.isra.N, .constprop.N, .part.N, .cold) removed
  bool pc = false;            // the faulting address line (RIP:, pc :, PC is at, NIP, epc :, PSW)
  bool questionable = false;  // "? func" (x86), "(unreliable)" (powerpc), lr/ra lines
};

// The frame a console line shows, if any; understands the x86_64, arm64,
// arm32, riscv64, s390 and powerpc stack formats, symbolized or not.
std::optional<Frame> ParseFrame(std::string_view text);

// "at: func+0x1a/0x2b", "at: [<ffffffff81234567>] func+0x…" → func; a line
// ending in " at:" returns an empty string (the function is on the next line).
std::optional<std::string> ParseLockSite(std::string_view text);

// True when `function` is never a report's subject (dump_stack, panic, the
// sanitizers' and lockdep's own functions…) or contains one of `extra`.
bool SkippedFrame(std::string_view function, std::string_view extra);

}  // namespace rfl::vm

#pragma once
// The flag readiness table (issue 14 item 4): one row per rustc flag × arch ×
// compiler × kernel × variant that carries it — the evidence a stabilization
// report quotes. For each: did the kernel build, did it boot, does the flag
// leave its signature in the Rust code (and is it absent from the baseline's,
// the control), does rustc refuse to mix crates that disagree on it (the
// run's abi_checks), and what does it cost (the largest significant change
// of any workload metric against the baseline, with its CI, and the Rust and
// vmlinux .text growth). An ABI check whose flag no variant carries is a
// row of its own.
//
// Which flags a variant carries: the flags its build's code checks claim
// (among the build's effective rustc flags, so a flag kbuild adds for a
// Kconfig option counts) and the variant's own `rustflags`.
#include <string>
#include <vector>

#include "lab/results/comparison.h"

namespace rfl::report {

struct ReadinessRow {
  std::string flag;
  std::string arch;
  std::string toolchain;
  std::string rustc;     // `rustc -vV` release ("1.96.0"), from the build or the ABI check
  std::string kernel;    // exact version when recorded ("7.3.4"), else the label
  std::string variant;   // '' for an ABI check no variant carries
  std::string via;       // "rustflags" | "Kconfig" (kbuild adds it) | ''
  std::string build;     // built | failed (class) | expected failure | not built | ''
  std::string boots;     // "5/5 passed" | "0/5 passed: …" | "not booted" | ''
  std::string code;      // "effective 2171/2171, baseline absent" | "no code check" | ''
  std::string abi;       // enforced | NOT enforced | not a target modifier (mix accepted) | … | not checked
  std::string cost;      // "+1.1 % binder.round_trip_p50{…} [+0.4, +1.8]" | "no change (12 metrics)" | ''
  std::string size;      // "rust .text +3.2 %, vmlinux .text +0.4 %" | ''
  // Built, booted, code effective (or no check) and absent from the
  // baseline, ABI enforced or not a target modifier — or, for a variant
  // expected to fail, failed as expected: nothing in the row argues against
  // the flag.
  bool ok = false;
};

std::vector<ReadinessRow> Readiness(const results::RunAnalysis& analysis);

}  // namespace rfl::report

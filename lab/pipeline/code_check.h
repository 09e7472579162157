#pragma once
// The code-check stage: after a build, before its boots. Judges the copies
// of the build's Rust objects the artifact keeps (kernel::kRustObjectsDir)
// with the checks of lab/codecheck/ — does each flag leave its signature in
// the code? — and turns the answer into results::CodeCheckRecord, stored
// with the build.
//
// Which flags: every flag with a check among the build's effective rustc
// flags (rust/.kernel.o.cmd, so a flag kbuild adds for a Kconfig option
// counts as much as one from `rustflags`) — claimed; then every flag with a
// check that another build of the plan for the same arch asks for in its
// `rustflags` and whose check applies to this arch — a control, which
// should come out `absent` here (the baseline's `absent` is what makes a
// variant's `effective` mean something). A flag kbuild adds for another
// variant's Kconfig option is known only once that variant is built: the run
// then judges it in the builds of that arch that lack it (MissingControls).
// A claimed flag that comes out `absent` or `partial` is a finding unless
// the variant's `expect_code` says so (results::CodeCheckProblem).
#include <string>
#include <vector>

#include "lab/kernel/artifact.h"
#include "lab/results/records.h"
#include "lab/scenario/plan.h"

namespace rfl::pipeline {

struct FlagToCheck {
  std::string flag;
  bool claimed = false;
  std::string expected;  // from expect_code; empty: effective when claimed
};

// The flags to judge in `spec`'s build, claimed first (in the order of
// `effective`), then controls (in plan order); each once.
std::vector<FlagToCheck> FlagsToCheck(const scenario::Plan& plan, const scenario::BuildSpec& spec,
                                      const std::vector<std::string>& effective);

// The controls a build still lacks once another build of its arch is done:
// the flags that build claimed (`claimed`, its records' claimed flags, e.g.
// the -Zcf-protection=branch kbuild adds for X86_KERNEL_IBT) whose check
// applies to `arch` and that `have` (this build's records) has not judged.
std::vector<FlagToCheck> MissingControls(Arch arch, const std::vector<results::CodeCheckRecord>& have,
                                         const std::vector<results::CodeCheckRecord>& claimed);

// Runs the checks on the artifact's object copies. Never fails the run: an
// artifact without copies (made before they were kept, or a fake) gives no
// records, and a check that cannot read an object gives not-applicable
// records whose note says why.
std::vector<results::CodeCheckRecord> CheckBuildCode(const std::vector<FlagToCheck>& flags,
                                                     const kernel::Artifact& artifact);

}  // namespace rfl::pipeline

#pragma once
// `rfl-lab run`: the whole pipeline in one place.
//
//   scenario ─ExpandPlan→ Plan ─BuildKernel→ artifacts ─RunBootJob→ BootRecords
//        ─Store→ SQLite ─AnalyzeRun→ summary table, exit code ─export→ Prometheus
//
// Scheduling: builds run one after another (each uses every core); in icount
// timing, boots of finished builds run meanwhile (guest time counts
// instructions, so contention does not change the numbers), on up to
// --parallel VMs capped by cores and memory; in wall timing, every build finishes first and the
// boots then run alone, one at a time, in the plan's interleaved A B A B
// order. A boot that fails when it was expected to pass is retried once and
// both attempts are stored. With repeat {min, max}, rounds of boots are added
// while a verdict is inconclusive. Ctrl-C stops at once: VMs and builds are
// destroyed by their owners, the run is marked interrupted, and every stored
// boot stays; `--resume RUN` continues with what is missing.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "lab/scenario/model.h"
#include "lab/util/paths.h"
#include "lab/util/result.h"

namespace rfl::pipeline {

struct RunOptions {
  LabDirs dirs;
  std::filesystem::path store_path;
  std::string connect_uri;             // empty: the embedded driver under the state dir
  std::optional<int64_t> resume_run;   // continue this run
  int jobs = 0;                        // make -j (0: all cores)
  int max_parallel_boots = 0;          // VMs at once in icount timing (0: as many as fit), capped by cores and memory
  std::optional<std::string> push_url;
  std::optional<std::filesystem::path> textfile_dir;
  std::ostream* progress = nullptr;    // stderr when null
  bool color = false;                  // summary table colours
};

struct RunOutcome {
  int64_t run_id = 0;
  int exit_code = 0;        // kExitOk, kExitFindings, kExitLabFailure, kExitInterrupted
  std::string summary;      // the rendered table
  std::string message;      // why the run stopped early, if it did
};

// Runs the scenario. An error means nothing could start (no store, no
// hypervisor); failures after the run began are in RunOutcome.
[[nodiscard]] Result<RunOutcome> RunScenario(const scenario::Scenario& scenario, const RunOptions& options);

// How many VMs may run at once: cores, and memory with 512 MiB of headroom
// per guest and 2 GiB for the host, at least 1.
int ParallelBootSlots(uint64_t guest_memory_bytes);

}  // namespace rfl::pipeline

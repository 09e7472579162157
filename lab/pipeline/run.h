#pragma once
// `rfl-lab run` as a library: the executor of one planned run.
//
//   Plan ─RunScheduler (decisions)─► builds on KernelBuilder, boots through
//   RunBootJob on the Hypervisor ─► every build and boot in the Store
//   Plan abi_checks ─► AbiChecker, one after another beside the builds ─► Store
//
// The run takes everything it touches (RunDeps): the real CLI passes the
// kbuild builder, a libvirt hypervisor, the SQLite store and the Ctrl-C
// token; unit tests pass fakes (tests/support/) and drive a whole run in
// milliseconds. The decisions (order, retry, resume, extra rounds, how the
// run ends) live in the single-threaded RunScheduler (scheduler.h); this
// file only carries them out: one thread per running build or boot
// (std::jthread), events back to the calling thread, which alone talks to
// the scheduler and the store.
//
// Stopping: the run owns a stop_source chained to RunDeps::stop (Ctrl-C).
// A lab error in a worker (libvirt, the store, a build that could not run)
// stops that source — the run's other workers end, the run is `failed` —
// without touching the process's Ctrl-C flag. Ctrl-C ends it as
// `interrupted`. Either way every stored build and boot stays, and
// `resume_run` continues with what is missing.
//
// Presentation (the summary table, exports) and the exit status belong to
// the caller (lab/cli/run.cpp).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "lab/pipeline/abi_checker.h"
#include "lab/pipeline/builder.h"
#include "lab/results/store.h"
#include "lab/scenario/plan.h"
#include "lab/util/paths.h"
#include "lab/util/result.h"
#include "lab/vm/hypervisor.h"

namespace rfl::pipeline {

struct RunDeps {
  KernelBuilder& builder;
  vm::Hypervisor& hypervisor;
  results::Store& store;
  std::stop_token stop;                             // Ctrl-C
  std::function<void(std::string_view)> progress;  // one line per event; may be empty
  // Runs the plan's ABI checks (one thread, one check at a time, beside the
  // builds); needed only when the plan has some.
  AbiChecker* abi_checker = nullptr;
};

struct RunOptions {
  LabDirs dirs;                                    // state: boot dirs, accel probe; cache: initramfs
  std::optional<int64_t> resume_run;               // continue this run
  // VMs at once in icount timing (0: as many as fit). On a remote
  // hypervisor (LAVA) this machine's cores do not bound it: the jobs in
  // flight at once, kRemoteBootSlots unless given.
  int max_parallel_boots = 0;
  // Builds at once (RunScheduler's rules: a small build beside another);
  // 0: 2 on a machine of two or more cores, else 1.
  int build_slots = 0;
  std::optional<std::filesystem::path> agent_dir;  // <dir>/<arch>/rfl-agent instead of the built agents
  // The corner of the matrix the command line chose (scenario::FormatSelection),
  // stored with a new run; '' for the whole scenario.
  std::string corner;
};

struct RunResult {
  int64_t run_id = 0;
  results::RunStatus status = results::RunStatus::kCompleted;  // completed | interrupted | failed
  std::string message;  // why it stopped early, if it did
};

// Runs the plan. An error means the run could not start (the store refused
// it, a resumed run is of another scenario); what happens after it began is
// in RunResult and the store.
[[nodiscard]] Result<RunResult> RunScenario(const scenario::Plan& plan, const RunDeps& deps,
                                            const RunOptions& options);

// How many VMs may run at once: cores, and memory with 512 MiB of headroom
// per guest and 2 GiB for the host, at least 1.
int ParallelBootSlots(uint64_t guest_memory_bytes);

// Jobs a run keeps submitted at once on a remote hypervisor by default; the
// server queues what its devices cannot run yet.
inline constexpr int kRemoteBootSlots = 16;

}  // namespace rfl::pipeline

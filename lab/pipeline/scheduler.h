#pragma once
// The decisions of a run, in one single-threaded object with no threads, no
// clocks and no I/O: which build next, which boot next, when a failed boot
// is retried, what a resumed run still owes, when a round of repetitions is
// added, and how the run ends. The executor (run.h) feeds it events and
// carries out its actions on worker threads; unit tests drive it directly.
//
// The rules:
// - Builds run one after another, in plan order (a full build uses every
//   core). With `build_slots` 2, a small build may run beside another
//   (docs/development.md, "The main job from nothing"): a Rust-only rebuild
//   or a seeded tree leaves a core idle for much of its time (one rustc for
//   the `kernel` crate, Kconfig's probes one process at a time, the link).
//   The first build of each family (source × toolchain × arch: it may be a
//   full build) runs alone; builds of one tree run one after another, in
//   plan order; a build that starts a new tree of a family whose first
//   build has ended is started before the family's other builds, and
//   nothing else of its family starts until it has its tree (its seed, a
//   sibling tree, copied under that tree's lock: BuildTreeReady).
// - A boot *unit* is one repetition of one cell (build × variant). Units are
//   started in (repetition, cell) order, so baseline and variants interleave
//   (A B A B) even when builds finish one after another.
// - icount timing: a build's units become ready when it is built and run
//   while later builds compile, up to `boot_slots` at once. wall timing:
//   boots wait for every build, then run one at a time, alone.
// - A cell whose build failed, or whose variant expects a build failure, has
//   no boots.
// - An attempt that does not pass is retried once, unless the variant
//   expects a boot failure; both attempts are kept. Attempt numbers are never
//   reused: a resumed run continues from the stored attempts (a unit with one
//   stored failure gets exactly its one retry, numbered 1).
// - After the first `repeat_min` rounds, when nothing else is left, the
//   executor is asked whether to add another round (DecideExtension); at
//   most `repeat_max` rounds.
// - Stop() (Ctrl-C, or a lab error) starts nothing more; the run ends when
//   what is running has ended, as interrupted or failed.
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "lab/core/boot_mode.h"
#include "lab/core/outcome.h"
#include "lab/results/records.h"

namespace rfl::pipeline {

// One attempt at one unit.
struct BootTask {
  int unit = 0;  // 1-based number of the unit, in the order units were first queued
  std::string build_key;
  std::string variant;
  int cell = 0;        // the cell's place in the plan's interleaved order
  int repetition = 0;  // 0-based
  int attempt = 0;     // 0 first try; continues from stored attempts on resume
  bool retry = false;  // an earlier attempt of this unit failed
  bool operator==(const BootTask&) const = default;
};

struct SchedulerBuild {
  std::string key;
  Expect expect = Expect::kPass;  // kBuildFailure: its cells get no boots
  std::string tree;    // builds of one tree run one after another; empty: its own tree
  std::string family;  // trees that may seed each other (source × toolchain × arch); empty: its tree
};

struct SchedulerCell {
  std::string build_key;
  std::string variant;
  Expect expect = Expect::kPass;
};

// An attempt a resumed run already stored.
struct StoredAttempt {
  std::string build_key;
  std::string variant;
  int repetition = 0;
  int attempt = 0;
  BootOutcome outcome = BootOutcome::kPassed;
};

struct SchedulerConfig {
  Timing timing = Timing::kIcount;
  int boot_slots = 1;  // VMs at once under icount (wall: always 1)
  int repeat_min = 5;
  int repeat_max = 5;
  int build_slots = 1;  // builds at once (see the rules above); 1: one after another
};

// What one finished attempt meant, for the progress line.
struct BootProgress {
  int unit = 0;
  int done_units = 0;     // units complete so far
  int planned_units = 0;  // units the run owes (grows with added rounds)
  bool unit_done = false;  // false: a retry is queued
  bool was_retry = false;
};

class RunScheduler {
 public:
  struct StartBuild {
    std::string key;
    bool operator==(const StartBuild&) const = default;
  };
  struct StartBoot {
    BootTask task;
    bool operator==(const StartBoot&) const = default;
  };
  // Every boot so far is done: should round `repetition` (0-based) be added?
  struct DecideExtension {
    int repetition = 0;
    bool operator==(const DecideExtension&) const = default;
  };
  using Action = std::variant<StartBuild, StartBoot, DecideExtension>;

  RunScheduler(SchedulerConfig config, std::vector<SchedulerBuild> builds, std::vector<SchedulerCell> cells,
               const std::vector<StoredAttempt>& stored = {});

  // What to start now. Call after construction and after every event.
  std::vector<Action> Next();

  // A build ended: `bootable` when it produced a kernel its cells may boot.
  void BuildDone(const std::string& key, bool bootable);
  // A running build has its tree (copied from its seed, or its own): it
  // holds no other tree of its family now. A build that ends without
  // saying so holds nothing either.
  void BuildTreeReady(const std::string& key);
  // A build or boot that was started ended without a result (stopped, or
  // a lab error the executor reports through Stop()).
  void BuildAborted(const std::string& key);
  void BootAborted(const BootTask& task);
  // An attempt ended and was stored.
  BootProgress BootDone(const BootTask& task, BootOutcome outcome);
  // The answer to DecideExtension.
  void ExtensionDecided(bool add_round);
  // Starts nothing more. The first reason wins.
  void Stop(results::RunStatus status, std::string message);

  // Nothing is running and nothing is left to start.
  bool Finished() const;
  results::RunStatus Status() const;  // completed, interrupted or failed
  const std::string& StopMessage() const { return stop_message_; }
  int planned_units() const { return planned_units_; }
  int done_units() const { return done_units_; }
  int running_boots() const { return running_boots_; }
  bool build_running() const { return running_builds_ > 0; }

 private:
  enum class BuildState { kPending, kRunning, kBootable, kNoBoots };
  struct Unit {
    int number = 0;  // 0 until first queued
    int attempts = 0;
    int next_attempt = 0;
    bool done = false;
    bool queued_or_running = false;
  };
  using UnitKey = std::pair<int, int>;  // (cell, repetition)

  bool AllBuildsEnded() const;
  bool BuildMayStart(size_t b) const;
  const std::string& TreeOf(size_t b) const;
  const std::string& FamilyOf(size_t b) const;
  bool CellBoots(int cell) const;  // its build is bootable and its variant boots
  void QueueUnit(int cell, int repetition);
  int QueueRound(int repetition, const std::string* only_build);

  SchedulerConfig config_;
  std::vector<SchedulerBuild> builds_;
  std::vector<BuildState> build_state_;
  std::vector<bool> tree_ready_;      // a running build that has its tree
  std::vector<bool> family_first_;    // the first build of its family in plan order: runs alone
  std::vector<bool> new_tree_;        // the first build of its tree, not of its family: seeds from a sibling
  std::vector<SchedulerCell> cells_;
  std::map<UnitKey, Unit> units_;
  std::vector<BootTask> ready_;  // sorted by (repetition, cell, attempt)
  int rounds_ = 0;               // repetitions queued so far for bootable cells
  int next_unit_number_ = 1;
  int planned_units_ = 0;
  int done_units_ = 0;
  int running_boots_ = 0;
  int running_builds_ = 0;
  bool awaiting_extension_ = false;
  bool extension_closed_ = false;
  std::optional<results::RunStatus> stop_status_;
  std::string stop_message_;
};

}  // namespace rfl::pipeline

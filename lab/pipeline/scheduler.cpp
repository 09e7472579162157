#include "lab/pipeline/scheduler.h"

#include <algorithm>

namespace rfl::pipeline {

RunScheduler::RunScheduler(SchedulerConfig config, std::vector<SchedulerBuild> builds,
                           std::vector<SchedulerCell> cells, const std::vector<StoredAttempt>& stored)
    : config_(config), builds_(std::move(builds)), cells_(std::move(cells)) {
  if (config_.timing == Timing::kWall || config_.boot_slots < 1) config_.boot_slots = 1;
  config_.build_slots = std::max(1, config_.build_slots);
  config_.repeat_min = std::max(1, config_.repeat_min);
  config_.repeat_max = std::max(config_.repeat_min, config_.repeat_max);
  build_state_.assign(builds_.size(), BuildState::kPending);
  tree_ready_.assign(builds_.size(), false);
  family_first_.assign(builds_.size(), false);
  new_tree_.assign(builds_.size(), false);
  for (size_t b = 0; b < builds_.size(); ++b) {
    bool family_seen = false, tree_seen = false;
    for (size_t e = 0; e < b; ++e) {
      family_seen |= FamilyOf(e) == FamilyOf(b);
      tree_seen |= TreeOf(e) == TreeOf(b);
    }
    family_first_[b] = !family_seen;
    new_tree_[b] = family_seen && !tree_seen;
  }
  rounds_ = config_.repeat_min;

  // What a resumed run already has: attempts per unit, never reused.
  for (const auto& a : stored) {
    for (size_t c = 0; c < cells_.size(); ++c) {
      if (cells_[c].build_key != a.build_key || cells_[c].variant != a.variant) continue;
      Unit& u = units_[{static_cast<int>(c), a.repetition}];
      ++u.attempts;
      u.next_attempt = std::max(u.next_attempt, a.attempt + 1);
      if (a.outcome == BootOutcome::kPassed) u.done = true;
      rounds_ = std::max(rounds_, std::min(config_.repeat_max, a.repetition + 1));
    }
  }
  for (auto& [key, u] : units_) {
    const SchedulerCell& cell = cells_[static_cast<size_t>(key.first)];
    if (u.attempts >= 2 || (cell.expect == Expect::kBootFailure && u.attempts >= 1)) u.done = true;
  }
  for (size_t c = 0; c < cells_.size(); ++c) {
    if (cells_[c].expect == Expect::kBuildFailure) continue;
    for (int rep = 0; rep < rounds_; ++rep) {
      auto it = units_.find({static_cast<int>(c), rep});
      if (it == units_.end() || !it->second.done) ++planned_units_;
    }
  }
}

bool RunScheduler::AllBuildsEnded() const {
  return std::none_of(build_state_.begin(), build_state_.end(), [](BuildState s) {
    return s == BuildState::kPending || s == BuildState::kRunning;
  });
}

const std::string& RunScheduler::TreeOf(size_t b) const {
  return builds_[b].tree.empty() ? builds_[b].key : builds_[b].tree;
}

const std::string& RunScheduler::FamilyOf(size_t b) const {
  return builds_[b].family.empty() ? TreeOf(b) : builds_[b].family;
}

bool RunScheduler::BuildMayStart(size_t b) const {
  if (build_state_[b] != BuildState::kPending || running_builds_ >= config_.build_slots) return false;
  if (family_first_[b] && running_builds_ > 0) return false;
  auto ended = [&](size_t e) {
    return build_state_[e] != BuildState::kPending && build_state_[e] != BuildState::kRunning;
  };
  for (size_t e = 0; e < builds_.size(); ++e) {
    // Its tree's earlier builds, and its family's first (what it seeds from), have ended.
    if (e < b && !ended(e) && (TreeOf(e) == TreeOf(b) || (family_first_[e] && FamilyOf(e) == FamilyOf(b)))) {
      return false;
    }
    if (build_state_[e] != BuildState::kRunning) continue;
    if (family_first_[e] || TreeOf(e) == TreeOf(b)) return false;
    // A running build of the family may be copying a tree of it; a new
    // tree would wait for its seed while one of the family is built.
    if (FamilyOf(e) == FamilyOf(b) && (!tree_ready_[e] || new_tree_[b])) return false;
  }
  return true;
}

bool RunScheduler::CellBoots(int cell) const {
  const SchedulerCell& c = cells_[static_cast<size_t>(cell)];
  if (c.expect == Expect::kBuildFailure) return false;
  for (size_t b = 0; b < builds_.size(); ++b) {
    if (builds_[b].key == c.build_key) return build_state_[b] == BuildState::kBootable;
  }
  return false;
}

void RunScheduler::QueueUnit(int cell, int repetition) {
  Unit& u = units_[{cell, repetition}];
  if (u.done || u.queued_or_running) return;
  if (u.number == 0) u.number = next_unit_number_++;
  u.queued_or_running = true;
  BootTask t{u.number, cells_[static_cast<size_t>(cell)].build_key, cells_[static_cast<size_t>(cell)].variant,
             cell, repetition, u.next_attempt, u.attempts > 0};
  auto order = [](const BootTask& a, const BootTask& b) {
    return std::tie(a.repetition, a.cell, a.attempt) < std::tie(b.repetition, b.cell, b.attempt);
  };
  ready_.insert(std::upper_bound(ready_.begin(), ready_.end(), t, order), std::move(t));
}

// Queues round `repetition` of every bootable cell (of one build when
// `only_build` is set); returns how many units it queued.
int RunScheduler::QueueRound(int repetition, const std::string* only_build) {
  int n = 0;
  for (size_t c = 0; c < cells_.size(); ++c) {
    if (only_build && cells_[c].build_key != *only_build) continue;
    if (!CellBoots(static_cast<int>(c))) continue;
    size_t before = ready_.size();
    QueueUnit(static_cast<int>(c), repetition);
    n += static_cast<int>(ready_.size() - before);
  }
  return n;
}

std::vector<RunScheduler::Action> RunScheduler::Next() {
  std::vector<Action> out;
  if (stop_status_ || awaiting_extension_) return out;
  // Builds in plan order (with one slot: one at a time); with two, new trees
  // first: they copy their seed before its next rebuild.
  for (bool new_trees : {true, false}) {
    for (size_t b = 0; b < builds_.size(); ++b) {
      if (new_trees && (config_.build_slots == 1 || !new_tree_[b])) continue;
      if (!BuildMayStart(b)) continue;
      build_state_[b] = BuildState::kRunning;
      ++running_builds_;
      out.emplace_back(std::in_place_type<StartBuild>, builds_[b].key);
    }
  }
  // Boots: under wall timing only once every build has ended.
  bool boots_may_run = config_.timing == Timing::kIcount || AllBuildsEnded();
  while (boots_may_run && running_boots_ < config_.boot_slots && !ready_.empty()) {
    out.emplace_back(std::in_place_type<StartBoot>, ready_.front());
    ready_.erase(ready_.begin());
    ++running_boots_;
  }
  // Another round, when everything else is done.
  if (out.empty() && AllBuildsEnded() && running_boots_ == 0 && ready_.empty() && !extension_closed_) {
    bool any_boots = false;
    for (size_t c = 0; c < cells_.size(); ++c) any_boots |= CellBoots(static_cast<int>(c));
    if (rounds_ >= config_.repeat_max || !any_boots) {
      extension_closed_ = true;
    } else {
      awaiting_extension_ = true;
      out.emplace_back(std::in_place_type<DecideExtension>, rounds_);
    }
  }
  return out;
}

void RunScheduler::BuildDone(const std::string& key, bool bootable) {
  for (size_t b = 0; b < builds_.size(); ++b) {
    if (builds_[b].key != key || build_state_[b] != BuildState::kRunning) continue;
    --running_builds_;
    build_state_[b] = bootable ? BuildState::kBootable : BuildState::kNoBoots;
    if (bootable) {
      for (int rep = 0; rep < rounds_; ++rep) QueueRound(rep, &key);
    } else {
      // Its units will never run: the run no longer owes them.
      for (size_t c = 0; c < cells_.size(); ++c) {
        if (cells_[c].build_key != key || cells_[c].expect == Expect::kBuildFailure) continue;
        for (int rep = 0; rep < rounds_; ++rep) {
          auto it = units_.find({static_cast<int>(c), rep});
          if (it == units_.end() || !it->second.done) --planned_units_;
        }
      }
    }
    return;
  }
}

void RunScheduler::BuildAborted(const std::string& key) {
  for (size_t b = 0; b < builds_.size(); ++b) {
    if (builds_[b].key == key && build_state_[b] == BuildState::kRunning) {
      build_state_[b] = BuildState::kNoBoots;
      --running_builds_;
    }
  }
}

void RunScheduler::BuildTreeReady(const std::string& key) {
  for (size_t b = 0; b < builds_.size(); ++b) {
    if (builds_[b].key == key && build_state_[b] == BuildState::kRunning) tree_ready_[b] = true;
  }
}

void RunScheduler::BootAborted(const BootTask& task) {
  --running_boots_;
  units_[{task.cell, task.repetition}].queued_or_running = false;
}

BootProgress RunScheduler::BootDone(const BootTask& task, BootOutcome outcome) {
  --running_boots_;
  Unit& u = units_[{task.cell, task.repetition}];
  u.queued_or_running = false;
  ++u.attempts;
  u.next_attempt = std::max(u.next_attempt, task.attempt + 1);
  const SchedulerCell& cell = cells_[static_cast<size_t>(task.cell)];
  bool retry = outcome != BootOutcome::kPassed && cell.expect != Expect::kBootFailure && u.attempts < 2;
  if (retry) {
    if (!stop_status_) QueueUnit(task.cell, task.repetition);  // else: a resume owes it
  } else {
    u.done = true;
    ++done_units_;
  }
  return BootProgress{u.number, done_units_, planned_units_, u.done, task.retry};
}

void RunScheduler::ExtensionDecided(bool add_round) {
  awaiting_extension_ = false;
  if (!add_round || stop_status_) {
    extension_closed_ = true;
    return;
  }
  int added = QueueRound(rounds_, nullptr);
  ++rounds_;
  planned_units_ += added;
  if (added == 0) extension_closed_ = true;
}

void RunScheduler::Stop(results::RunStatus status, std::string message) {
  if (stop_status_) return;
  stop_status_ = status;
  stop_message_ = std::move(message);
  for (const auto& t : ready_) units_[{t.cell, t.repetition}].queued_or_running = false;
  ready_.clear();
  awaiting_extension_ = false;
}

bool RunScheduler::Finished() const {
  if (running_builds_ > 0 || running_boots_ > 0) return false;
  if (stop_status_) return true;
  return AllBuildsEnded() && ready_.empty() && !awaiting_extension_ && extension_closed_;
}

results::RunStatus RunScheduler::Status() const { return stop_status_.value_or(results::RunStatus::kCompleted); }

}  // namespace rfl::pipeline

#pragma once
// The results store: every run, build, boot and sample the lab produces.
//
// SQLite in WAL mode with foreign keys on; the schema version lives in
// PRAGMA user_version and is upgraded by ordered migrations when a store is
// opened (a store newer than this binary is refused, never downgraded). A
// boot and all its samples are written in ONE transaction, so a crash or
// SIGKILL never leaves half a boot: after a kill the store opens and every
// boot recorded before it is complete. Runs interrupted that way stay in
// status "running"; `ListRuns` reports them as they are.
//
// Store is the side-effect boundary; the SQLite implementation is the real one
// and unit tests use it too (on a temporary file).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lab/results/records.h"
#include "lab/util/result.h"

namespace rfl::results {

// Selects samples across runs (for exporters and history): empty fields
// match anything; `labels`, when set, must match exactly.
struct SampleQuery {
  std::optional<std::string> scenario;
  std::optional<std::string> arch;
  std::optional<std::string> toolchain;
  std::optional<std::string> kernel;
  std::optional<std::string> variant;
  std::optional<std::string> workload;
  std::optional<std::string> metric;
  std::optional<std::map<std::string, std::string>> labels;
  std::optional<int64_t> run_id;
  bool passed_boots_only = true;
  int limit = 100000;
};

struct SampleRow {
  int64_t run_id = 0;
  int64_t boot_id = 0;
  std::string scenario;
  std::string arch;
  std::string toolchain;
  std::string kernel;
  std::string variant;
  int repetition = 0;
  double boot_started_unix = 0;
  Sample sample;
};

// Stored boots of one cell with one outcome, every attempt counted.
struct BootCount {
  std::string scenario;
  std::string arch;
  std::string toolchain;
  std::string kernel;
  std::string variant;
  BootOutcome outcome = BootOutcome::kPassed;
  int64_t boots = 0;
  int64_t titled = 0;  // of them, those with a kernel report title (none before schema 3)
};

class Store {
 public:
  virtual ~Store() = default;

  // Starts a run (status "running"); returns its id.
  [[nodiscard]] virtual Result<int64_t> BeginRun(const RunInfo& info) = 0;
  // Records a build (or a cache hit, or a failure); returns its id. A second
  // record with the same key in the same run replaces the first.
  [[nodiscard]] virtual Result<int64_t> RecordBuild(int64_t run_id, const BuildRecord& build) = 0;
  // Records one ABI check (flag × toolchain × arch); a second record of the
  // same check in the same run replaces the first. Returns its id.
  [[nodiscard]] virtual Result<int64_t> RecordAbiCheck(int64_t run_id, const AbiCheckRecord& check) = 0;
  // Records a boot and its samples atomically; returns the boot id.
  [[nodiscard]] virtual Result<int64_t> RecordBoot(int64_t run_id, const BootRecord& boot) = 0;
  // Sets the final status and end time.
  [[nodiscard]] virtual Status FinishRun(int64_t run_id, RunStatus status, std::string_view message = {}) = 0;

  // Newest first; `scenario` filters by scenario name.
  [[nodiscard]] virtual Result<std::vector<RunSummary>> ListRuns(std::optional<std::string> scenario = {},
                                                                 int limit = 100) = 0;
  // The whole run; kNotFound when there is no such id.
  [[nodiscard]] virtual Result<RunData> LoadRun(int64_t run_id) = 0;
  // The newest run (of `scenario` when given); nullopt when the store is empty.
  // `completed_only` skips runs that are still running, failed or interrupted.
  [[nodiscard]] virtual Result<std::optional<int64_t>> LatestRun(std::optional<std::string> scenario = {},
                                                                 bool completed_only = false) = 0;
  // The newest run of every scenario (for exporters).
  [[nodiscard]] virtual Result<std::vector<RunSummary>> LatestRunPerScenario(bool completed_only = true) = 0;
  // Samples matching `query`, oldest boot first.
  [[nodiscard]] virtual Result<std::vector<SampleRow>> QuerySamples(const SampleQuery& query) = 0;
  // Boots per (scenario, cell, outcome) over every stored run, whatever its
  // status (`scenario`: that scenario only; `up_to_run`: runs with an id up
  // to it). A count only grows as boots are stored (the exporter's counters).
  [[nodiscard]] virtual Result<std::vector<BootCount>> CountBoots(std::optional<std::string> scenario = {},
                                                                  std::optional<int64_t> up_to_run = {}) = 0;
};

// The schema version this binary writes.
inline constexpr int kStoreSchemaVersion = 11;

// Opens (creating when missing, with its parent directory) a SQLite store and
// migrates it to kStoreSchemaVersion.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& path);

// Opens an existing store for reading only: never creates, migrates or
// writes it (report, compare, runs, push, serve). kNotFound when there is no
// file, kInput when it is not a regular file or not a store. A store of an
// older schema is read as it is; a read-only directory or file is fine.
[[nodiscard]] Result<std::unique_ptr<Store>> OpenSqliteStoreReadOnly(const std::filesystem::path& path);

// <state dir>/results.sqlite3
std::filesystem::path DefaultStorePath(const std::filesystem::path& state_dir);

// Resolves a run named on the command line: a numeric id, "latest" (the
// newest run), or a scenario name (its newest run). kNotFound when none.
[[nodiscard]] Result<int64_t> ResolveRun(Store& store, std::string_view spec);

// Canonical text of a label set (sorted JSON object), as stored and grouped.
std::string LabelsKey(const std::map<std::string, std::string>& labels);
// The label set back from its key (empty when the text is not a JSON object).
std::map<std::string, std::string> LabelsFromKey(const std::string& key);

}  // namespace rfl::results

#pragma once
// From the results store to a metrics Snapshot.
//
// A run contributes one group of series per cell of its outcome matrix
// (scenario, arch, toolchain, kernel, variant): build outcome, duration and
// code sizes, boots by outcome, medians of boot and workload figures over
// passed boots, and the comparison with the baseline variant (ratio, CI,
// p-value, verdict) as results::AnalyzeRun computes it.
//
// `serve` shows, for every cell, the newest COMPLETED run that has it (runs
// still running, interrupted or failed are skipped; at most `lookback_runs`
// runs per scenario are searched), so a study that changed its matrix keeps
// the cells of its older runs, each stamped with rfl_lab_cell_timestamp_seconds.
// `push` and the textfile writer export one given run.
//
// One family is not per run: rfl_lab_boot_reports_total counts the boots of
// a cell whose outcome a kernel report decided over every stored run (`serve`:
// all of them, running runs included; `push`/textfile: the scenario's runs up
// to the one exported), so it only grows as boots are stored — a counter.
//
// Analyses of completed runs are cached by run id (a completed run never
// changes), and the whole snapshot is reused while the set of runs is the
// same (and no boot was stored), so a scrape costs a few small queries once
// the first one is done.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "exporters/prometheus/metrics_model.h"
#include "lab/results/comparison.h"
#include "lab/results/records.h"
#include "lab/results/store.h"
#include "lab/util/result.h"

namespace rfl::exporters {

// The series of every cell of one run (run_info included; last success and
// the boot report counters not: they need the store).
Snapshot RunSnapshot(const results::RunData& run, const results::RunAnalysis& analysis);

// Where a metrics snapshot comes from; the store is the real one.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  [[nodiscard]] virtual Result<std::shared_ptr<const Snapshot>> Collect() = 0;
};

class StoreMetricsSource final : public MetricsSource {
 public:
  // `store` must outlive the source. Safe to call from several threads.
  explicit StoreMetricsSource(results::Store& store, int lookback_runs = 20);
  [[nodiscard]] Result<std::shared_ptr<const Snapshot>> Collect() override;

 private:
  using CellKey = std::tuple<std::string, std::string, std::string, std::string>;  // arch, toolchain, kernel, variant
  struct RunParts {
    Snapshot run_level;                  // rfl_lab_run_info
    std::map<CellKey, Snapshot> cells;
  };
  Result<std::shared_ptr<const RunParts>> PartsOf(int64_t run_id);

  results::Store& store_;
  int lookback_runs_;
  std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<const RunParts>> parts_cache_;
  std::string last_fingerprint_;
  std::shared_ptr<const Snapshot> last_snapshot_;
};

// The store at a path, opened read-only on demand: a missing store, one
// deleted or replaced while serving, or one that cannot be read is an error
// (rfl_lab_store_up 0), never the series of a store that is gone. A store
// that appears later, or a new file at the path, is opened on the next
// scrape. Safe to call from several threads.
class StorePathSource final : public MetricsSource {
 public:
  explicit StorePathSource(std::filesystem::path path, int lookback_runs = 20)
      : path_(std::move(path)), lookback_runs_(lookback_runs) {}
  [[nodiscard]] Result<std::shared_ptr<const Snapshot>> Collect() override;

 private:
  std::filesystem::path path_;
  int lookback_runs_;
  std::mutex mutex_;
  std::pair<uint64_t, uint64_t> identity_{0, 0};  // (st_dev, st_ino) of the open file
  std::unique_ptr<results::Store> store_;
  std::unique_ptr<StoreMetricsSource> source_;
};

// One run's snapshot plus rfl_lab_last_success_timestamp_seconds of its
// scenario (the newest completed run in the store, which may be this one).
// `run_id` nullopt: the newest run of the store.
[[nodiscard]] Result<Snapshot> SnapshotOfRun(results::Store& store, std::optional<int64_t> run_id,
                                             std::string* scenario_name = nullptr);

}  // namespace rfl::exporters

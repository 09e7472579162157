#include "exporters/prometheus/store_source.h"

#include <sys/stat.h>

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "lab/results/statistics.h"
#include "lab/util/hash.h"

namespace rfl::exporters {
namespace {

using results::BuildOutcome;

using CellKey = std::tuple<std::string, std::string, std::string, std::string>;

// Which family a sample unit goes to, and the factor to its base unit.
struct UnitMapping {
  std::string_view family;
  double scale = 1;
};

// The unit is in the family's name, never a label. A figure in a unit the
// guest agent does not emit (agent::AllUnits: seconds, ops_per_second,
// bytes, count) has no family and is left out (empty family).
UnitMapping MapUnit(std::string_view unit) {
  if (unit == "seconds" || unit == "s") return {"rfl_lab_workload_median_seconds", 1};
  if (unit == "ms") return {"rfl_lab_workload_median_seconds", 1e-3};
  if (unit == "us") return {"rfl_lab_workload_median_seconds", 1e-6};
  if (unit == "ns") return {"rfl_lab_workload_median_seconds", 1e-9};
  if (unit == "bytes") return {"rfl_lab_workload_median_bytes", 1};
  if (unit == "ops_per_second" || unit == "ops/s") return {"rfl_lab_workload_median_ops_per_second", 1};
  if (unit == "count" || unit.empty()) return {"rfl_lab_workload_median", 1};
  return {"", 1};
}

std::vector<std::string> CellLabels(const std::string& scenario, const CellKey& cell) {
  const auto& [arch, toolchain, kernel, variant] = cell;
  return {scenario, arch, toolchain, kernel, variant};
}

std::vector<std::string> With(std::vector<std::string> base, std::initializer_list<std::string> more) {
  base.insert(base.end(), more);
  return base;
}

const results::BuildRecord* FindBuild(const results::RunData& run, const std::string& key) {
  for (const auto& b : run.builds) {
    if (b.key == key) return &b;
  }
  return nullptr;
}

std::string FlagsDigest(std::string_view flags) { return Sha256Hex(flags).substr(0, 12); }

// Per cell, the series of one run.
std::map<CellKey, Snapshot> CellSnapshots(const results::RunData& run, const results::RunAnalysis& analysis) {
  const std::string& scenario = run.run.info.scenario_name;
  std::map<CellKey, Snapshot> cells;

  for (const auto& c : analysis.outcomes) {
    CellKey key{c.arch, c.toolchain, c.kernel, c.variant};
    Snapshot& snap = cells[key];
    auto labels = CellLabels(scenario, key);
    snap.Set("rfl_lab_cell_timestamp_seconds", labels, run.run.ended_unix);
    snap.Set("rfl_lab_cell_run_id", labels, static_cast<double>(run.run.id));

    const results::BuildRecord* build = c.build_key.empty() ? nullptr : FindBuild(run, c.build_key);
    snap.Set("rfl_lab_variant_info",
             With(labels, {std::string(ExpectName(c.expect)), build ? build->rustc_version : "",
                           build ? FlagsDigest(build->effective_flags) : ""}),
             1);
    if (c.build) {
      for (auto o : {BuildOutcome::kBuilt, BuildOutcome::kCacheHit, BuildOutcome::kFailed,
                     BuildOutcome::kExpectedFailure}) {
        snap.Set("rfl_lab_build_outcome", With(labels, {std::string(results::BuildOutcomeName(o))}),
                 *c.build == o ? 1 : 0);
      }
    }
    if (build) {
      if (build->outcome != BuildOutcome::kCacheHit) {
        snap.Set("rfl_lab_build_duration_seconds", labels, build->duration_seconds);
      }
      for (const auto& check : build->code_checks) {
        for (std::string_view v : {"effective", "partial", "absent", "not-applicable"}) {
          snap.Set("rfl_lab_code_check_verdict",
                   With(labels, {check.flag, check.claimed ? "claimed" : "control", std::string(v)}), check.verdict == v ? 1 : 0);
        }
        snap.Set("rfl_lab_code_check_functions", With(labels, {check.flag, "judged"}), static_cast<double>(check.checked));
        snap.Set("rfl_lab_code_check_functions", With(labels, {check.flag, "with_signature"}),
                 static_cast<double>(check.with_signature));
        snap.Set("rfl_lab_code_check_functions", With(labels, {check.flag, "exempt"}), static_cast<double>(check.exempt));
      }
      for (const auto& [object, sections] : build->sizes) {
        for (const auto& [section, bytes] : sections) {
          snap.Set("rfl_lab_code_size_bytes", With(labels, {object, section}), static_cast<double>(bytes));
        }
      }
    }
    if (c.boots > 0) {
      for (auto o : AllBootOutcomes()) {
        std::string name(BootOutcomeName(o));
        auto it = c.outcomes.find(name);
        snap.Set("rfl_lab_boots", With(labels, {name}), it == c.outcomes.end() ? 0 : it->second);
      }
      snap.Set("rfl_lab_boot_retries", labels, c.retried);
      snap.Set("rfl_lab_boot_failure_ratio", labels, 1.0 - c.success_rate());
    }
    snap.Set("rfl_lab_regressions", labels, 0);
  }

  // Medians over passed boots (a passed boot is always a final attempt).
  struct SeriesKey {
    CellKey cell;
    std::string workload, metric, unit;
    std::map<std::string, std::string> labels;
    auto operator<=>(const SeriesKey&) const = default;
  };
  std::map<SeriesKey, std::vector<double>> samples;
  std::map<CellKey, std::vector<double>> boot_durations;
  for (const auto& b : run.boots) {
    if (b.outcome != BootOutcome::kPassed) continue;
    CellKey cell{b.arch, b.toolchain, b.kernel, b.variant};
    if (b.ended_unix > b.started_unix && b.started_unix > 0) {
      boot_durations[cell].push_back(b.ended_unix - b.started_unix);
    }
    for (const auto& s : b.samples) {
      samples[{cell, s.workload, s.metric, s.unit, s.labels}].push_back(s.value);
    }
  }
  for (const auto& [cell, values] : boot_durations) {
    cells[cell].Set("rfl_lab_boot_duration_seconds", CellLabels(scenario, cell), results::Median(values));
  }
  for (const auto& [key, values] : samples) {
    auto series = With(CellLabels(scenario, key.cell), {key.workload, key.metric});
    UnitMapping mapping = MapUnit(key.unit);
    if (mapping.family.empty()) continue;
    Snapshot& snap = cells[key.cell];
    snap.Set(mapping.family, series, results::Median(values) * mapping.scale, key.labels);
    snap.Set("rfl_lab_workload_samples", series, static_cast<double>(values.size()), key.labels);
  }

  // Comparisons with the baseline variant.
  for (const auto& d : analysis.deltas) {
    CellKey cell{d.key.arch, d.key.toolchain, d.key.kernel, d.variant};
    Snapshot& snap = cells[cell];
    auto labels = CellLabels(scenario, cell);
    auto series = With(labels, {d.key.workload, d.key.metric});
    auto sample = SampleLabelsFromKey(d.key.labels);
    if (std::isfinite(d.stats.ratio)) snap.Set("rfl_lab_delta_ratio", series, d.stats.ratio, sample);
    if (d.stats.ci) {
      snap.Set("rfl_lab_delta_ci_lower_ratio", series, d.stats.ci->lo, sample);
      snap.Set("rfl_lab_delta_ci_upper_ratio", series, d.stats.ci->hi, sample);
    }
    if (d.stats.test) snap.Set("rfl_lab_delta_p_value", series, d.stats.test->p_value, sample);
    for (auto v : {results::Verdict::kRegression, results::Verdict::kImprovement, results::Verdict::kNoChange,
                   results::Verdict::kInconclusive}) {
      snap.Set("rfl_lab_delta_verdict", With(series, {std::string(results::VerdictName(v))}),
               d.stats.verdict == v ? 1 : 0, sample);
    }
    if (d.stats.verdict == results::Verdict::kRegression) {
      double n = snap.Value("rfl_lab_regressions", {{"scenario", scenario},
                                                    {"arch", d.key.arch},
                                                    {"toolchain", d.key.toolchain},
                                                    {"kernel", d.key.kernel},
                                                    {"variant", d.variant}})
                     .value_or(0);
      snap.Set("rfl_lab_regressions", labels, n + 1);
    }
  }
  for (const auto& s : analysis.sizes) {
    CellKey cell{s.arch, s.toolchain, s.kernel, s.variant};
    cells[cell].Set("rfl_lab_code_size_delta_bytes", With(CellLabels(scenario, cell), {s.object, s.section}),
                    static_cast<double>(s.delta()));
  }
  return cells;
}

Snapshot RunLevel(const results::RunData& run) {
  Snapshot snap;
  const auto& info = run.run.info;
  snap.Set("rfl_lab_run_info", {info.scenario_name, info.baseline, info.timing, info.lab_version}, 1);
  snap.Set("rfl_lab_run_id", {info.scenario_name}, static_cast<double>(run.run.id));
  snap.Set("rfl_lab_noise_floor_ratio", {info.scenario_name}, info.noise);
  for (const auto& c : run.abi_checks) {
    std::vector<std::string> labels{info.scenario_name, c.arch, c.toolchain, c.flag};
    const std::pair<std::string_view, const std::string*> cases[] = {{"crate_with_flag", &c.crate_with_flag},
                                                                     {"core_with_flag", &c.core_with_flag},
                                                                     {"rustdoc_mismatch", &c.rustdoc_mismatch},
                                                                     {"rustdoc_matched", &c.rustdoc_matched}};
    for (const auto& [name, verdict] : cases) {
      for (std::string_view v : {"rejected", "accepted", "unknown-flag", "error", "not-run"}) {
        snap.Set("rfl_lab_abi_check_verdict", With(labels, {std::string(name), std::string(v)}), *verdict == v ? 1 : 0);
      }
    }
    for (std::string_view v : {"works", "fails", "n/a"}) {
      snap.Set("rfl_lab_abi_check_verdict", With(labels, {"escape_hatch", std::string(v)}), c.escape_hatch == v ? 1 : 0);
    }
    snap.Set("rfl_lab_abi_check_finding", labels, results::AbiCheckProblem(c) ? 1 : 0);
  }
  return snap;
}

// rfl_lab_boot_reports_total: for every cell with stored boots, each kernel
// report class (0 included, so a first report is an increase), counting the
// boots whose classification found a kernel report — those with a title.
Snapshot ReportCounters(const std::vector<results::BootCount>& counts) {
  std::map<std::vector<std::string>, std::map<BootOutcome, int64_t>> cells;
  for (const auto& c : counts) {
    auto& by_class = cells[{c.scenario, c.arch, c.toolchain, c.kernel, c.variant}];
    for (BootOutcome o : kKernelReportOutcomes) by_class.try_emplace(o, 0);
    if (auto it = by_class.find(c.outcome); it != by_class.end()) it->second += c.titled;
  }
  Snapshot snap;
  for (const auto& [cell, by_class] : cells) {
    for (const auto& [outcome, n] : by_class) {
      snap.Set("rfl_lab_boot_reports_total", With(cell, {std::string(BootOutcomeName(outcome))}),
               static_cast<double>(n));
    }
  }
  return snap;
}

void SetLastSuccess(Snapshot& snap, const std::string& scenario, double ended_unix) {
  snap.Set("rfl_lab_last_success_timestamp_seconds", {scenario}, ended_unix);
}

}  // namespace

Snapshot RunSnapshot(const results::RunData& run, const results::RunAnalysis& analysis) {
  Snapshot snap = RunLevel(run);
  for (const auto& [cell, part] : CellSnapshots(run, analysis)) snap.Merge(part);
  return snap;
}

StoreMetricsSource::StoreMetricsSource(results::Store& store, int lookback_runs)
    : store_(store), lookback_runs_(lookback_runs) {}

Result<std::shared_ptr<const StoreMetricsSource::RunParts>> StoreMetricsSource::PartsOf(int64_t run_id) {
  if (auto it = parts_cache_.find(run_id); it != parts_cache_.end()) return it->second;
  auto run = store_.LoadRun(run_id);
  if (!run) return std::unexpected(run.error().Wrap(fmt::format("loading run {}", run_id)));
  auto parts = std::make_shared<RunParts>();
  parts->run_level = RunLevel(*run);
  parts->cells = CellSnapshots(*run, results::AnalyzeRun(*run));
  parts_cache_[run_id] = parts;
  return parts;
}

Result<std::shared_ptr<const Snapshot>> StorePathSource::Collect() {
  std::lock_guard lock(mutex_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    store_.reset();
    source_.reset();
    return FailAs(Error::Kind::kNotFound, "no results store at {}", path_.string());
  }
  std::pair<uint64_t, uint64_t> identity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  if (!store_ || identity != identity_) {
    source_.reset();
    auto opened = results::OpenSqliteStoreReadOnly(path_);
    if (!opened) {
      store_.reset();
      return std::unexpected(opened.error());
    }
    store_ = std::move(*opened);
    source_ = std::make_unique<StoreMetricsSource>(*store_, lookback_runs_);
    identity_ = identity;
  }
  return source_->Collect();
}

Result<std::shared_ptr<const Snapshot>> StoreMetricsSource::Collect() {
  std::lock_guard lock(mutex_);
  auto scenarios = store_.LatestRunPerScenario(/*completed_only=*/false);
  if (!scenarios) return std::unexpected(scenarios.error());

  // Which completed runs feed the snapshot, newest first per scenario.
  std::vector<std::pair<std::string, std::vector<results::RunSummary>>> chosen;
  std::string fingerprint;
  for (const auto& latest : *scenarios) {
    const std::string& name = latest.info.scenario_name;
    auto runs = store_.ListRuns(name, lookback_runs_);
    if (!runs) return std::unexpected(runs.error());
    std::vector<results::RunSummary> completed;
    for (auto& r : *runs) {
      if (r.status == results::RunStatus::kCompleted) completed.push_back(std::move(r));
    }
    fingerprint += name;
    for (const auto& r : completed) fingerprint += fmt::format(",{}", r.id);
    fingerprint += ';';
    chosen.emplace_back(name, std::move(completed));
  }
  // Every stored boot counts, those of running runs included.
  auto counts = store_.CountBoots();
  if (!counts) return std::unexpected(counts.error());
  for (const auto& c : *counts) {
    fingerprint += fmt::format("|{}/{}/{}/{}/{}/{}={},{}", c.scenario, c.arch, c.toolchain, c.kernel, c.variant,
                               BootOutcomeName(c.outcome), c.boots, c.titled);
  }
  if (last_snapshot_ && fingerprint == last_fingerprint_) return last_snapshot_;

  auto snap = std::make_shared<Snapshot>();
  snap->Merge(ReportCounters(*counts));
  std::set<int64_t> used;
  for (const auto& [scenario, runs] : chosen) {
    if (runs.empty()) continue;
    SetLastSuccess(*snap, scenario, runs.front().ended_unix);
    std::set<CellKey> seen;
    for (size_t i = 0; i < runs.size(); ++i) {
      auto parts = PartsOf(runs[i].id);
      if (!parts) return std::unexpected(parts.error());
      used.insert(runs[i].id);
      if (i == 0) snap->Merge((*parts)->run_level);
      for (const auto& [cell, part] : (*parts)->cells) {
        if (seen.insert(cell).second) snap->Merge(part);
      }
    }
  }
  std::erase_if(parts_cache_, [&](const auto& entry) { return !used.contains(entry.first); });
  last_fingerprint_ = std::move(fingerprint);
  last_snapshot_ = std::move(snap);
  return last_snapshot_;
}

Result<Snapshot> SnapshotOfRun(results::Store& store, std::optional<int64_t> run_id, std::string* scenario_name) {
  if (!run_id) {
    auto latest = store.LatestRun();
    if (!latest) return std::unexpected(latest.error());
    if (!*latest) return FailAs(Error::Kind::kNotFound, "the results store holds no run");
    run_id = **latest;
  }
  auto run = store.LoadRun(*run_id);
  if (!run) return std::unexpected(run.error());
  Snapshot snap = RunSnapshot(*run, results::AnalyzeRun(*run));
  const std::string& scenario = run->run.info.scenario_name;
  // The scenario's boots stored up to this run: a push of a newer run never
  // counts fewer.
  auto counts = store.CountBoots(scenario, *run_id);
  if (!counts) return std::unexpected(counts.error());
  snap.Merge(ReportCounters(*counts));
  // Newest completed run of the scenario (the run pushed may have failed).
  auto runs = store.ListRuns(scenario, 1000);
  if (!runs) return std::unexpected(runs.error());
  for (const auto& r : *runs) {
    if (r.status == results::RunStatus::kCompleted) {
      SetLastSuccess(snap, scenario, r.ended_unix);
      break;
    }
  }
  if (scenario_name) *scenario_name = scenario;
  return snap;
}

}  // namespace rfl::exporters

#include "exporters/prometheus/metrics_model.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

namespace rfl::exporters {
namespace {

// The labels of one cell of the outcome matrix, first on most families.
#define RFL_CELL "scenario", "arch", "toolchain", "kernel", "variant"
#define RFL_SERIES RFL_CELL, "workload", "metric"

const std::vector<MetricDef> kCatalog = {
    {"rfl_lab_run_info", MetricType::kGauge, {"scenario", "baseline", "timing", "lab_version"},
     "Metadata of the newest exported run of a scenario (value 1)."},
    {"rfl_lab_run_id", MetricType::kGauge, {"scenario"},
     "Id of the newest exported run of the scenario: `rfl-lab report <id>` shows it."},
    {"rfl_lab_noise_floor_ratio", MetricType::kGauge, {"scenario"},
     "The scenario's noise floor: delta ratios within 1 +- this are no change."},
    {"rfl_lab_last_success_timestamp_seconds", MetricType::kGauge, {"scenario"},
     "End time (Unix seconds) of the newest run of the scenario that completed."},
    {"rfl_lab_cell_timestamp_seconds", MetricType::kGauge, {RFL_CELL},
     "End time (Unix seconds) of the run the cell's figures come from."},
    {"rfl_lab_cell_run_id", MetricType::kGauge, {RFL_CELL},
     "Id of the run the cell's figures come from: `rfl-lab report <id>` shows it."},
    {"rfl_lab_variant_info", MetricType::kGauge, {RFL_CELL, "expect", "rustc_version", "flags_digest"},
     "Build metadata of a cell (value 1): expectation, `rustc -vV` version line, digest of the effective "
     "rustc flags."},
    {"rfl_lab_build_outcome", MetricType::kGauge, {RFL_CELL, "outcome"},
     "Outcome of the cell's build: 1 for the outcome it had, 0 for the others."},
    {"rfl_lab_build_duration_seconds", MetricType::kGauge, {RFL_CELL},
     "Wall time of the cell's kernel build (built or failed; cache hits are left out)."},
    {"rfl_lab_code_size_bytes", MetricType::kGauge, {RFL_CELL, "object", "section"},
     "ELF section size of a built object (vmlinux, the Rust objects)."},
    {"rfl_lab_code_size_delta_bytes", MetricType::kGauge, {RFL_CELL, "object", "section"},
     "ELF section size of the variant minus the baseline variant's, same arch/toolchain/kernel."},
    {"rfl_lab_code_check_verdict", MetricType::kGauge, {RFL_CELL, "flag", "role", "verdict"},
     "Code check of a rustc flag in the cell's Rust objects: 1 for the verdict reached (effective, partial, "
     "absent, not-applicable), 0 for the others. role: claimed (among the build's effective flags) or control "
     "(another variant's flag)."},
    {"rfl_lab_code_check_functions", MetricType::kGauge, {RFL_CELL, "flag", "kind"},
     "Functions of the cell's Rust objects a code check judged (kind=judged), found carrying the flag's "
     "signature (with_signature), or left out as a documented exception (exempt)."},
    {"rfl_lab_abi_check_verdict", MetricType::kGauge, {"scenario", "arch", "toolchain", "flag", "case", "verdict"},
     "ABI check of a rustc flag (the scenario's abi_checks): what rustc did with each mix, 1 for the verdict "
     "reached, 0 for the others. case: crate_with_flag, core_with_flag, rustdoc_mismatch, rustdoc_matched "
     "(rejected, accepted, unknown-flag, error, not-run) and escape_hatch (works, fails, n/a)."},
    {"rfl_lab_abi_check_finding", MetricType::kGauge, {"scenario", "arch", "toolchain", "flag"},
     "1 when a known target modifier is mixed silently (either direction or through rustdoc), its escape hatch "
     "fails, or rustdoc refuses a matching build; 0 otherwise."},
    {"rfl_lab_boots", MetricType::kGauge, {RFL_CELL, "outcome"},
     "Boots (final attempts) of the cell in its run, by outcome."},
    {"rfl_lab_boot_reports_total", MetricType::kCounter, {RFL_CELL, "class"},
     "Stored boots of the cell (every attempt of every run) whose outcome a kernel report on the console "
     "decided, by class: rust-panic, oops, hang, init-failed, kernel-panic, warning."},
    {"rfl_lab_boot_retries", MetricType::kGauge, {RFL_CELL},
     "Repetitions of the cell that needed a second boot attempt."},
    {"rfl_lab_boot_failure_ratio", MetricType::kGauge, {RFL_CELL},
     "Share of the cell's boots (final attempts) that did not pass."},
    {"rfl_lab_boot_duration_seconds", MetricType::kGauge, {RFL_CELL},
     "Median host-side duration of the cell's passed boots, VM start to power-off."},
    {"rfl_lab_workload_median_seconds", MetricType::kGauge, {RFL_SERIES},
     "Median over passed boots of a workload figure measured in seconds.", true},
    {"rfl_lab_workload_median_ops_per_second", MetricType::kGauge, {RFL_SERIES},
     "Median over passed boots of a workload rate in operations per second.", true},
    {"rfl_lab_workload_median_bytes", MetricType::kGauge, {RFL_SERIES},
     "Median over passed boots of a workload figure measured in bytes.", true},
    {"rfl_lab_workload_median", MetricType::kGauge, {RFL_SERIES},
     "Median over passed boots of a dimensionless workload figure (a count).", true},
    {"rfl_lab_workload_samples", MetricType::kGauge, {RFL_SERIES},
     "Number of samples behind a workload median.", true},
    {"rfl_lab_delta_ratio", MetricType::kGauge, {RFL_SERIES},
     "Median of the variant divided by the median of the baseline variant.", true},
    {"rfl_lab_delta_ci_lower_ratio", MetricType::kGauge, {RFL_SERIES},
     "Lower bound of the bootstrap 95% confidence interval of the delta ratio.", true},
    {"rfl_lab_delta_ci_upper_ratio", MetricType::kGauge, {RFL_SERIES},
     "Upper bound of the bootstrap 95% confidence interval of the delta ratio.", true},
    {"rfl_lab_delta_p_value", MetricType::kGauge, {RFL_SERIES},
     "Two-sided Mann-Whitney U p-value of variant against baseline samples.", true},
    {"rfl_lab_delta_verdict", MetricType::kGauge, {RFL_SERIES, "verdict"},
     "Verdict of the comparison with the baseline: 1 for the verdict reached, 0 for the others.", true},
    {"rfl_lab_regressions", MetricType::kGauge, {RFL_CELL},
     "Number of metrics of the cell whose verdict is regression."},
    {"rfl_lab_store_up", MetricType::kGauge, {},
     "1 when the last read of the results store succeeded, 0 when it failed."},
    {"rfl_lab_store_read_errors_total", MetricType::kCounter, {},
     "Failed reads of the results store since the exporter started."},
};

#undef RFL_SERIES
#undef RFL_CELL

size_t IndexOf(std::string_view name) {
  for (size_t i = 0; i < kCatalog.size(); ++i) {
    if (kCatalog[i].name == name) return i;
  }
  spdlog::critical("metric {} is not in the catalog (exporters/prometheus/metrics_model.cpp)", name);
  std::abort();
}

}  // namespace

const std::vector<MetricDef>& MetricCatalog() { return kCatalog; }

const MetricDef* FindMetric(std::string_view name) {
  for (const auto& def : kCatalog) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

namespace {

constexpr size_t kSampleLabelCount = std::size(kSampleLabels);

// One value per kSampleLabels entry ("" when unset); keys the list does not
// know go, sorted, to other_labels.
std::vector<std::string> SampleLabelValues(const std::map<std::string, std::string>& sample) {
  std::vector<std::string> values(kSampleLabelCount);
  std::string other;
  for (const auto& [key, value] : sample) {
    auto it = std::find(std::begin(kSampleLabels), std::end(kSampleLabels) - 1, key);
    if (it != std::end(kSampleLabels) - 1) {
      values[static_cast<size_t>(it - std::begin(kSampleLabels))] = value;
    } else {
      other += (other.empty() ? "" : ",") + key + "=" + value;
    }
  }
  values.back() = other;
  return values;
}

}  // namespace

void Snapshot::Set(std::string_view metric, std::vector<std::string> label_values, double value,
                   const std::map<std::string, std::string>& sample) {
  size_t index = IndexOf(metric);
  const MetricDef& def = kCatalog[index];
  if (label_values.size() != def.labels.size() || (!def.sample_labels && !sample.empty())) {
    spdlog::critical("metric {} takes {} labels{}, got {}{}", metric, def.labels.size(),
                     def.sample_labels ? " and sample labels" : "", label_values.size(),
                     sample.empty() ? "" : " and sample labels");
    std::abort();
  }
  if (def.sample_labels) {
    auto extra = SampleLabelValues(sample);
    label_values.insert(label_values.end(), extra.begin(), extra.end());
  }
  series_[index][std::move(label_values)] = value;
}

void Snapshot::Merge(const Snapshot& other) {
  for (const auto& [index, rows] : other.series_) {
    auto& mine = series_[index];
    for (const auto& [labels, value] : rows) mine[labels] = value;
  }
}

std::optional<double> Snapshot::Value(std::string_view metric,
                                      const std::map<std::string, std::string>& labels) const {
  const MetricDef* def = FindMetric(metric);
  if (!def) return std::nullopt;
  std::vector<std::string> values;
  std::map<std::string, std::string> sample = labels;
  for (auto name : def->labels) {
    auto it = sample.find(std::string(name));
    if (it == sample.end()) return std::nullopt;
    values.push_back(it->second);
    sample.erase(it);
  }
  if (def->sample_labels) {
    auto extra = SampleLabelValues({});
    for (size_t i = 0; i < kSampleLabelCount; ++i) {
      auto it = sample.find(std::string(kSampleLabels[i]));
      if (it != sample.end()) {
        extra[i] = it->second;
        sample.erase(it);
      }
    }
    values.insert(values.end(), extra.begin(), extra.end());
  }
  if (!sample.empty()) return std::nullopt;
  auto family = series_.find(static_cast<size_t>(def - kCatalog.data()));
  if (family == series_.end()) return std::nullopt;
  auto row = family->second.find(values);
  if (row == family->second.end()) return std::nullopt;
  return row->second;
}

size_t Snapshot::SeriesCount() const {
  size_t n = 0;
  for (const auto& [index, rows] : series_) n += rows.size();
  return n;
}

std::vector<prometheus::MetricFamily> Snapshot::Families() const {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(series_.size());
  for (const auto& [index, rows] : series_) {
    if (rows.empty()) continue;
    const MetricDef& def = kCatalog[index];
    prometheus::MetricFamily family;
    family.name = std::string(def.name);
    family.help = std::string(def.help);
    family.type = def.type == MetricType::kCounter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
    family.metric.reserve(rows.size());
    for (const auto& [values, value] : rows) {
      prometheus::ClientMetric m;
      m.label.reserve(values.size());
      for (size_t i = 0; i < def.labels.size(); ++i) {
        m.label.push_back({std::string(def.labels[i]), values[i]});
      }
      // Sample labels only when set: Prometheus reads an empty label as none.
      for (size_t i = def.labels.size(); i < values.size(); ++i) {
        if (!values[i].empty()) m.label.push_back({std::string(kSampleLabels[i - def.labels.size()]), values[i]});
      }
      if (def.type == MetricType::kCounter) {
        m.counter.value = value;
      } else {
        m.gauge.value = value;
      }
      family.metric.push_back(std::move(m));
    }
    out.push_back(std::move(family));
  }
  return out;
}

std::string SerializeText(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

std::map<std::string, std::string> SampleLabelsFromKey(std::string_view labels_key) {
  std::map<std::string, std::string> labels;
  if (labels_key.empty()) return labels;
  auto parsed = nlohmann::json::parse(labels_key, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return labels;
  for (const auto& [key, value] : parsed.items()) {
    labels[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return labels;
}

}  // namespace rfl::exporters

#pragma once
// The lab's Prometheus metrics as data: a catalog naming every metric family
// (name, type, help, the exact label names), and a Snapshot holding the
// series of one export. The exposer (`serve`), the Pushgateway push and the
// textfile writer all serialize a Snapshot, so the three outputs agree.
//
// Naming rules (docs/metrics.md): `rfl_lab_` prefix, base units in the name,
// `_total` only on counters, metadata on `_info` gauges of value 1. Labels
// come from bounded sets only: every label name a family may carry is in its
// catalog entry, and the catalog may only use names from kBoundedLabels —
// never run ids, commit hashes or flag strings (a unit test holds the catalog
// to this). A series whose labels do not match its family's is a programming
// error and aborts.
#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

namespace rfl::exporters {

enum class MetricType { kGauge, kCounter };

struct MetricDef {
  std::string_view name;
  MetricType type;
  std::vector<std::string_view> labels;  // exact names, in this order
  std::string_view help;
  // The series also carry the sample's own labels, one label per dimension
  // (payload_bytes, device, pattern…; kSampleLabels), each only when set.
  bool sample_labels = false;
};

// Label names allowed on any rfl-lab series; each takes values from a set
// bounded by scenario files or by the lab's enums.
inline constexpr std::string_view kBoundedLabels[] = {
    "scenario", "arch",    "toolchain", "kernel",        "variant",       "workload", "metric",
    "outcome",  "verdict", "object",    "section",       "expect",        "baseline", "timing",
    "rustc_version", "flags_digest", "lab_version", "class",
    // Code checks: `flag` is one of the few flags with a code check
    // (lab/codecheck/flags.cpp), never a build's flag string; role
    // claimed|control; kind judged|with_signature|exempt. ABI checks:
    // `flag` is one a scenario lists in its abi_checks (a handful, like its
    // variant names); case crate_with_flag|core_with_flag|escape_hatch|
    // rustdoc_mismatch|rustdoc_matched.
    "flag", "role", "kind", "case",
};

// The labels the guest agent's workloads put on their samples (binder
// payload_bytes; block device, pattern, block_size, scheduler; rust-samples line; kunit
// status), each its own Prometheus label. A label the agent adds later and
// this list does not know yet goes, as "key=value,…", to `other_labels`
// until it is added here (a unit test walks the agent's workloads).
inline constexpr std::string_view kSampleLabels[] = {
    "payload_bytes", "block_size", "device", "pattern", "scheduler", "line", "status", "other_labels",
};

// Every family the lab exports, in exposition order.
const std::vector<MetricDef>& MetricCatalog();
// The catalog entry of `name`; nullptr when unknown.
const MetricDef* FindMetric(std::string_view name);

// The series of one export, grouped by family. Setting a series twice keeps
// the last value.
class Snapshot {
 public:
  // Sets one series. `metric` must be in the catalog and `label_values` give
  // one value per catalog label name, in catalog order; `sample` the
  // sample's own labels (families with sample_labels only).
  void Set(std::string_view metric, std::vector<std::string> label_values, double value,
           const std::map<std::string, std::string>& sample = {});
  // Copies every series of `other` in (other wins on equal label values).
  void Merge(const Snapshot& other);

  // The value of one series, labels given by name (tests, tools); sample
  // labels left out are unset.
  std::optional<double> Value(std::string_view metric, const std::map<std::string, std::string>& labels) const;
  size_t SeriesCount() const;
  bool empty() const { return SeriesCount() == 0; }

  // prometheus-cpp families in catalog order; empty families are left out.
  std::vector<prometheus::MetricFamily> Families() const;

 private:
  // catalog index → label values → value
  std::map<size_t, std::map<std::vector<std::string>, double>> series_;
};

// The text exposition format (what /metrics serves and node_exporter's
// textfile collector reads), via prometheus-cpp's TextSerializer.
std::string SerializeText(const std::vector<prometheus::MetricFamily>& families);

// A sample's labels from the store's canonical labels text (results::LabelsKey JSON).
std::map<std::string, std::string> SampleLabelsFromKey(std::string_view labels_key);

}  // namespace rfl::exporters

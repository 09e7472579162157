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
};

// Label names allowed on any rfl-lab series; each takes values from a set
// bounded by scenario files or by the lab's enums.
inline constexpr std::string_view kBoundedLabels[] = {
    "scenario", "arch",    "toolchain", "kernel",        "variant",       "workload", "metric",
    "params",   "unit",    "outcome",   "verdict",       "object",        "section",  "expect",
    "baseline", "timing",  "status",    "rustc_version", "flags_digest", "lab_version",
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
  // one value per catalog label name, in catalog order.
  void Set(std::string_view metric, std::vector<std::string> label_values, double value);
  // Copies every series of `other` in (other wins on equal label values).
  void Merge(const Snapshot& other);

  // The value of one series, labels given by name (tests, tools).
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

// "payload_bytes=4096,pattern=randread": a sample's own labels as one
// `params` label value (sorted by key); "" when there are none.
std::string ParamsText(const std::map<std::string, std::string>& labels);
// The same from the store's canonical labels text (results::LabelsKey JSON).
std::string ParamsTextFromLabelsKey(std::string_view labels_key);

}  // namespace rfl::exporters

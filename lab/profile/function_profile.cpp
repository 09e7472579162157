#include "lab/profile/function_profile.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "lab/util/demangle.h"

namespace rfl::profile {
namespace {

std::string LabelText(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += fmt::format("{}{}={}", out.empty() ? "" : " ", k, v);
  return out;
}

// Long Rust names cut in the middle, so both the type and the method show.
std::string FitName(const std::string& s, size_t width) {
  if (s.size() <= width) return s;
  size_t head = width * 2 / 3, tail = width - head - 3;
  return s.substr(0, head) + "..." + s.substr(s.size() - tail);
}

}  // namespace

FunctionProfile Aggregate(const agent::Profile& record, const SystemMap* map) {
  FunctionProfile out{record.workload, record.labels, record.period_ns, 0, record.lost, {}};
  std::unordered_map<std::string, uint64_t> sums;
  std::unordered_map<std::string, std::string> demangled;  // mangled → readable, once each
  for (const auto& [key, count] : record.ips) {
    std::string name;
    if (key == "[user]") {
      name = kUserBucket;
    } else if (key == "other") {
      name = kOtherBucket;
    } else if (auto address = ParseAddress(key); !address) {
      name = key;  // a bucket this host does not know: keep it visible
    } else if (!map) {
      name = "0x" + key;
    } else if (auto r = map->Find(*address); !r) {
      name = kNoSymbolBucket;
    } else {
      auto it = demangled.find(r->symbol->name);
      if (it == demangled.end()) it = demangled.emplace(r->symbol->name, Demangle(r->symbol->name)).first;
      name = it->second;
    }
    sums[name] += count;
    out.samples += count;
  }
  for (auto& [name, n] : sums) {
    out.rows.push_back({name, n, out.samples ? static_cast<double>(n) / static_cast<double>(out.samples) : 0.0});
  }
  std::sort(out.rows.begin(), out.rows.end(), [](const FunctionRow& a, const FunctionRow& b) {
    return a.samples != b.samples ? a.samples > b.samples : a.function < b.function;
  });
  return out;
}

std::optional<std::string_view> PerOpMetric(std::string_view workload) {
  if (workload == "binder") return "round_trip_p50";
  if (workload == "block") return "latency_mean";
  return std::nullopt;
}

std::string RenderTable(const FunctionProfile& p, size_t top, const std::optional<Estimate>& estimate) {
  std::string out = fmt::format("profile {} {}: {} samples, one per {} ns of CPU time, {} lost\n", p.workload,
                                LabelText(p.labels), p.samples, p.period_ns, p.lost);
  if (p.lost > 0) out += "  (samples were lost: shares are of the samples kept)\n";
  std::string unit;
  if (estimate) {
    unit = estimate->icount ? "insns/op" : "ns/op";
    out += fmt::format("  estimated {} = share x {} ({:.0f} ns){}\n", estimate->icount ? "instructions" : "ns",
                       estimate->metric, estimate->per_op_ns,
                       estimate->icount ? " under icount (1 ns of guest time = 1 instruction)"
                                        : "; wall timing: this estimate is time, not instructions");
    out += "  (the per-operation time is the measured pass's; the samples come from a second, sampled pass of the "
           "same loop)\n";
  }
  out += fmt::format("  {:>3}  {:<80} {:>8} {:>7}{}\n", "#", "function", "samples", "share",
                     estimate ? fmt::format(" {:>12}", "est. " + unit) : "");
  for (size_t i = 0; i < p.rows.size() && i < top; ++i) {
    const auto& r = p.rows[i];
    out += fmt::format("  {:>3}  {:<80} {:>8} {:>6.1f}%{}\n", i + 1, FitName(r.function, 80), r.samples, r.share * 100,
                       estimate ? fmt::format(" {:>12.0f}", r.share * estimate->per_op_ns) : "");
  }
  if (p.rows.size() > top) out += fmt::format("  … {} more functions (--profile-top, --json)\n", p.rows.size() - top);
  return out;
}

nlohmann::json ToJson(const FunctionProfile& p, const std::optional<Estimate>& estimate) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : p.rows) {
    nlohmann::json row = {{"function", r.function}, {"samples", r.samples}, {"share", r.share}};
    if (estimate) row["estimated_per_op"] = r.share * estimate->per_op_ns;
    rows.push_back(std::move(row));
  }
  nlohmann::json j = {{"workload", p.workload}, {"labels", p.labels},   {"period_ns", p.period_ns},
                      {"samples", p.samples},   {"lost", p.lost},       {"functions", rows}};
  if (estimate) {
    j["estimate"] = {{"metric", estimate->metric},
                     {"per_op_ns", estimate->per_op_ns},
                     {"unit", estimate->icount ? "instructions" : "ns"}};
  }
  return j;
}

}  // namespace rfl::profile

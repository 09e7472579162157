#pragma once
// Renderers of a RunAnalysis (lab/results/comparison.h): a terminal table,
// JSON with everything (docs/report-json.md), a self-contained HTML page with
// SVG plots drawn here (no script, no network), and KCIDB v5.3 JSON.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lab/results/comparison.h"

namespace rfl::report {

enum class Format { kTable, kJson, kHtml, kKcidb, kReadiness };
// "table" | "json" | "html" | "kcidb" | "readiness"
std::optional<Format> ParseFormat(std::string_view s);

// The report as JSON; "schema": "rfl-lab-report/2".
nlohmann::json ReportJson(const results::RunAnalysis& analysis);

// Plain text for a terminal; ANSI colours when `color`. The answer first:
// verdict counts, findings, the changed metrics largest effect first (with
// %-change, CI and spread); then outcomes per variant and code size. The
// other comparisons are counted, and listed with `all`.
std::string RenderTable(const results::RunAnalysis& analysis, bool color);
std::string RenderTable(const results::RunAnalysis& analysis, bool color, bool all);

// The flag readiness table alone (lab/report/readiness.h): one row per
// flag × arch × compiler × kernel × variant, the answer first.
std::string RenderReadinessTable(const results::RunAnalysis& analysis, bool color);

// One HTML document, everything inline.
std::string RenderHtml(const results::RunAnalysis& analysis);

// KCIDB I/O v5.3: checkouts (one per kernel), builds, tests (one per boot,
// one per sample with a `number`, one per comparison). Ids start with
// "<origin>:".
nlohmann::json KcidbJson(const results::RunAnalysis& analysis, std::string_view origin = "rfl_lab");

// Dispatches on `format`; JSON formats are pretty-printed. `all`: the table
// lists every comparison, not only the changed ones.
std::string Render(const results::RunAnalysis& analysis, Format format, bool color, bool all = false);

// A value with its unit as a reader writes it: "1.734 s", "110 µs",
// "47.27 k ops/s", "4 KiB", "2" (a count), "250000 IOPS" (other units kept).
std::string FormatValue(double value, std::string_view unit);

}  // namespace rfl::report

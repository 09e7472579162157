// The HTML report: one self-contained page (inline CSS and SVG, no script,
// no network) built as a pugixml DOM so every text is escaped by the library.
// The answer first (section#overview): verdict counts, findings, a metric ×
// variant grid of %-changes coloured by verdict, and the changed metrics
// largest effect first. Then what the variants are (flags, Kconfig, exact
// toolchain versions), build failures and failed boots with their evidence
// (and the title of a boot's kernel report) in the page, the outcome matrix,
// one card per metric (the changed ones open, the rest in a collapsed
// <details>), code size and builds.
// A card: the baseline and variant samples as dots over a box (quartiles,
// median, min–max), and the ratio's bootstrap CI against the noise band.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "lab/report/matrix_grid.h"
#include "lab/report/readiness.h"
#include "lab/report/report.h"
#include "lab/report/summary.h"

namespace rfl::report {
namespace {

using namespace rfl::results;

constexpr const char* kCss = R"css(
body { font: 14px/1.35 system-ui, sans-serif; margin: 1em 1.5em; color: #222; max-width: 1800px; }
h1 { font-size: 1.35em; margin: 0 0 .2em; } h2 { font-size: 1.12em; margin: 1.4em 0 .4em; }
.meta { color: #555; margin: 0 0 .6em; }
table { border-collapse: collapse; margin: .4em 0; }
th, td { border: 1px solid #ccc; padding: 2px 7px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.passed, .built, .improvement, .cache-hit { background: #e3f6e3; }
.failed, .build-failed, .regression, .unexpected-pass { background: #fbe0e0; }
.expected-failure, .no-change { background: #eee; color: #555; }
.no-change.inside-noise { background: #e8eaf6; color: #283593; }
.inconclusive, .not-run { background: #fff5d6; }
.verdicts span { display: inline-block; padding: 1px 8px; margin-right: .4em; border-radius: 3px; }
.overview { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.overview > div { min-width: 0; }
table.grid td, table.grid th { padding: 1px 6px; }
table.grid td.num { min-width: 5.5em; }
table.grid small.grid-ci { color: #666; font-size: .8em; }
table.grid b.change { font-weight: 600; }
table.grid th.metric, table.grid td.metric { white-space: nowrap; }
.metric { margin: 1em 0 1.5em; }
.metric h3 { font-size: 1em; margin: 0 0 .2em; }
.reason { color: #555; font-size: .9em; }
pre { background: #f7f7f7; padding: .4em; margin: .2em 0; max-height: 16em; overflow: auto;
      white-space: pre-wrap; overflow-wrap: anywhere; }
table.builds, table.variants, table.failures { table-layout: fixed; width: 100%; }
table.builds td, table.variants td, table.failures td { overflow-wrap: anywhere; }
table.boot-failures td.title { font-weight: 600; }
table.boot-failures td.no-title { color: #666; }
details > summary { cursor: pointer; font-weight: 600; margin: .6em 0; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
)css";

using Node = pugi::xml_node;

Node El(Node parent, const char* name, std::string_view text = {}) {
  Node n = parent.append_child(name);
  if (!text.empty()) n.text().set(std::string(text).c_str());
  return n;
}

Node Attr(Node n, const char* name, const std::string& value) {
  n.append_attribute(name).set_value(value.c_str());
  return n;
}

std::string F(double v) { return fmt::format("{:.2f}", v); }

double QuantileSorted(const std::vector<double>& s, double q) {
  if (s.empty()) return NAN;
  double h = static_cast<double>(s.size() - 1) * q;
  size_t lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (h - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

const char* VerdictFill(Verdict v) {
  switch (v) {
    case Verdict::kRegression: return "#c62828";
    case Verdict::kImprovement: return "#2e7d32";
    case Verdict::kNoChange: return "#616161";
    case Verdict::kInconclusive: return "#f9a825";
  }
  return "#616161";
}

// The plot of one metric delta.
void Plot(Node parent, const MetricDelta& d, double noise) {
  constexpr double kW = 680, kLeft = 130, kRight = 45, kH = 165;
  const double plot_w = kW - kLeft - kRight;
  std::vector<double> all = d.baseline_values;
  all.insert(all.end(), d.variant_values.begin(), d.variant_values.end());
  Node svg = El(parent, "svg");
  Attr(svg, "xmlns", "http://www.w3.org/2000/svg");
  Attr(svg, "width", F(kW));
  Attr(svg, "height", F(kH));
  Attr(svg, "viewBox", fmt::format("0 0 {} {}", kW, kH));
  Attr(svg, "class", "plot");
  Attr(svg, "role", "img");
  Attr(svg, "aria-label", d.key.Text());
  if (all.empty()) return;
  auto [mn_it, mx_it] = std::minmax_element(all.begin(), all.end());
  double lo = *mn_it, hi = *mx_it;
  const bool integers =
      std::all_of(all.begin(), all.end(), [](double v) { return std::fabs(v - std::round(v)) < 1e-9; });
  if (hi - lo <= 0) {
    double pad = integers ? 1 : (lo == 0 ? 1 : std::fabs(lo) * 0.01);
    lo -= pad;
    hi += pad;
  } else {
    double pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  auto x = [&](double v) { return kLeft + (v - lo) / (hi - lo) * plot_w; };

  // Value axis: nice, distinct ticks.
  Node axis = El(svg, "line");
  Attr(axis, "x1", F(kLeft)).append_attribute("y1").set_value("92");
  Attr(axis, "x2", F(kLeft + plot_w)).append_attribute("y2").set_value("92");
  Attr(axis, "stroke", "#999");
  for (const Tick& tick : AxisTicks(lo, hi, d.key.unit, integers)) {
    Node t = El(svg, "text", tick.label);
    Attr(t, "class", "tick");
    Attr(t, "x", F(x(tick.value)));
    Attr(t, "y", "105");
    Attr(t, "text-anchor", "middle");
  }

  struct Row {
    const std::vector<double>* values;
    std::string label;
    double y;
    const char* color;
  };
  const Row rows[] = {{&d.baseline_values, d.baseline_label, 25, "#1565c0"},
                      {&d.variant_values, d.variant_label, 65, VerdictFill(d.stats.verdict)}};
  for (const auto& row : rows) {
    Node label = El(svg, "text", row.label);
    Attr(label, "x", "4");
    Attr(label, "y", F(row.y + 4));
    if (row.values->empty()) continue;
    std::vector<double> s = *row.values;
    std::sort(s.begin(), s.end());
    double q1 = QuantileSorted(s, 0.25), q2 = QuantileSorted(s, 0.5), q3 = QuantileSorted(s, 0.75);
    Node whisker = El(svg, "line");
    Attr(whisker, "x1", F(x(s.front())));
    Attr(whisker, "x2", F(x(s.back())));
    Attr(whisker, "y1", F(row.y));
    Attr(whisker, "y2", F(row.y));
    Attr(whisker, "stroke", "#888");
    Node box = El(svg, "rect");
    Attr(box, "x", F(x(q1)));
    Attr(box, "y", F(row.y - 10));
    Attr(box, "width", F(std::max(1.0, x(q3) - x(q1))));
    Attr(box, "height", "20");
    Attr(box, "fill", row.color);
    Attr(box, "fill-opacity", "0.15");
    Attr(box, "stroke", row.color);
    Node med = El(svg, "path");
    Attr(med, "d", fmt::format("M{} {}V{}", F(x(q2)), F(row.y - 12), F(row.y + 12)));
    Attr(med, "stroke", row.color);
    Attr(med, "stroke-width", "2");
    for (size_t i = 0; i < row.values->size(); ++i) {
      // Deterministic jitter so equal values stay visible as a column.
      double jitter = (static_cast<double>((i * 7919) % 17) / 16.0 - 0.5) * 14;
      Node dot = El(svg, "circle");
      Attr(dot, "cx", F(x((*row.values)[i])));
      Attr(dot, "cy", F(row.y + jitter));
      Attr(dot, "r", "3");
      Attr(dot, "fill", row.color);
      Attr(dot, "fill-opacity", "0.7");
      El(dot, "title", FormatValue((*row.values)[i], d.key.unit));
    }
  }

  // Ratio strip: noise band, 1, the CI and the point estimate.
  const auto& st = d.stats;
  if (!std::isfinite(st.ratio)) return;
  double rlo = std::min({st.ratio, st.ci ? st.ci->lo : st.ratio, 1 - 2 * noise, 0.995});
  double rhi = std::max({st.ratio, st.ci ? st.ci->hi : st.ratio, 1 + 2 * noise, 1.005});
  double rpad = (rhi - rlo) * 0.1;
  rlo -= rpad;
  rhi += rpad;
  auto rx = [&](double r) { return kLeft + (r - rlo) / (rhi - rlo) * plot_w; };
  const double y = 140;
  Node label = El(svg, "text", "ratio (95% CI)");
  Attr(label, "x", "4");
  Attr(label, "y", F(y + 4));
  Node band = El(svg, "rect");
  Attr(band, "class", "noise-band");
  Attr(band, "x", F(rx(1 - noise)));
  Attr(band, "y", F(y - 10));
  Attr(band, "width", F(std::max(1.0, rx(1 + noise) - rx(1 - noise))));
  Attr(band, "height", "20");
  Attr(band, "fill", "#ddd");
  El(band, "title", fmt::format("noise floor 1 ± {:g}", noise));
  Node one = El(svg, "path");
  Attr(one, "d", fmt::format("M{} {}V{}", F(rx(1)), F(y - 12), F(y + 12)));
  Attr(one, "stroke", "#333");
  Attr(one, "stroke-dasharray", "3 2");
  if (st.ci) {
    Node ci = El(svg, "path");
    Attr(ci, "class", "ci");
    Attr(ci, "d", fmt::format("M{} {}H{}", F(rx(st.ci->lo)), F(y), F(std::max(rx(st.ci->hi), rx(st.ci->lo) + 1))));
    Attr(ci, "stroke", VerdictFill(st.verdict));
    Attr(ci, "stroke-width", "5");
    El(ci, "title", fmt::format("95% CI [{:.4f}, {:.4f}]", st.ci->lo, st.ci->hi));
  }
  Node point = El(svg, "circle");
  Attr(point, "class", "ratio");
  Attr(point, "cx", F(rx(st.ratio)));
  Attr(point, "cy", F(y));
  Attr(point, "r", "4");
  Attr(point, "fill", "#000");
  El(point, "title", fmt::format("ratio {:.4f}", st.ratio));
  for (double r : {rlo + rpad, 1.0, rhi - rpad}) {
    Node t = El(svg, "text", fmt::format("{:.3f}", r));
    Attr(t, "x", F(rx(r)));
    Attr(t, "y", F(y + 22));
    Attr(t, "text-anchor", "middle");
  }
}

std::string VerdictClass(const MetricDelta& d, const VerdictThresholds& t) {
  std::string c(VerdictName(d.stats.verdict));
  if (SignificantInsideNoise(d.stats, t)) c += " inside-noise";
  return c;
}

std::string StatsLine(const MetricDelta& d) {
  const auto& s = d.stats;
  std::string line = fmt::format("median {} → {}", FormatValue(s.baseline.median, d.key.unit),
                                 FormatValue(s.variant.median, d.key.unit));
  if (std::isfinite(s.ratio)) line += fmt::format(", {} (ratio {:.4f})", PercentChange(s.ratio), s.ratio);
  if (s.ci) line += fmt::format(", 95% CI {} ([{:.4f}, {:.4f}])", CiPercent(s), s.ci->lo, s.ci->hi);
  if (s.test) line += fmt::format(", Mann-Whitney p = {:.3g} ({})", s.test->p_value, MannWhitneyMethodName(s.test->method));
  line += fmt::format(", MAD {} / {} of the median, n = {}/{}, {}", SpreadPercent(s.baseline), SpreadPercent(s.variant),
                      s.baseline.n, s.variant.n, DirectionName(s.direction));
  return line;
}

void Card(Node parent, const MetricDelta& d, const RunAnalysis& a, bool many_cells) {
  Node div = El(parent, "div");
  Attr(div, "class", "metric");
  Node h = El(div, "h3");
  std::string name = MetricName(d.key);
  if (many_cells) name = CellName(d.key) + " " + name;
  El(h, "span", fmt::format("{} — {} vs {}: ", name, d.variant_label, d.baseline_label));
  Attr(El(h, "span", fmt::format("{} {}", VerdictText(d, a.thresholds), PercentChange(d.stats.ratio))), "class",
       VerdictClass(d, a.thresholds));
  El(div, "div", StatsLine(d));
  Attr(El(div, "div", d.stats.reason + (SignificantInsideNoise(d.stats, a.thresholds)
                                            ? fmt::format(" — but significant (p = {:.3g}, CI excludes 1): a real "
                                                          "shift smaller than the noise floor",
                                                          d.stats.test->p_value)
                                            : "")),
       "class", "reason");
  Plot(div, d, a.thresholds.noise);
}

Node TableNode(Node parent, const char* cls, const std::vector<std::string>& header) {
  Node t = El(parent, "table");
  if (cls && *cls) Attr(t, "class", cls);
  Node tr = El(t, "tr");
  for (const auto& h : header) El(tr, "th", h);
  return t;
}

Node TableNode(Node parent, const char* cls, std::initializer_list<const char*> header) {
  return TableNode(parent, cls, std::vector<std::string>(header.begin(), header.end()));
}

Node Num(Node tr, const std::string& text, const std::string& extra_class = {}) {
  return Attr(El(tr, "td", text), "class", extra_class.empty() ? "num" : "num " + extra_class);
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

}  // namespace

std::string RenderHtml(const RunAnalysis& a) {
  pugi::xml_document doc;
  Node html = El(doc, "html");
  Attr(html, "lang", "en");
  Node head = El(html, "head");
  Attr(El(head, "meta"), "charset", "utf-8");
  std::string title = "rfl-lab report";
  if (!a.runs.empty()) {
    title += a.runs.size() == 2 ? fmt::format(": run {} vs run {}", a.runs[0].id, a.runs[1].id)
                                : fmt::format(": {} run {}", a.runs[0].info.scenario_name, a.runs[0].id);
  }
  El(head, "title", title);
  El(head, "style", kCss);
  Node body = El(html, "body");
  El(body, "h1", title);
  for (const auto& r : a.runs) {
    Attr(El(body, "p",
            fmt::format("run {} of {}{}: {}{} · timing {} · host {}{} · lab {} · baseline {} · noise floor ±{:g}% · "
                        "alpha {:g}",
                        r.id, r.info.scenario_name, r.info.corner.empty() ? "" : " (" + r.info.corner + ")",
                        RunStatusName(r.status), r.message.empty() ? "" : ": " + r.message,
                        r.info.timing, r.info.host,
                        r.info.backend.empty() ? "" : fmt::format(" · boots on {} {}", r.info.backend, r.info.backend_uri),
                        r.info.lab_version, r.info.baseline, r.info.noise * 100, r.info.alpha)),
         "class", "meta");
  }

  std::set<std::string> cells;
  for (const auto& d : a.deltas) cells.insert(CellName(d.key));
  const bool many_cells = cells.size() > 1;

  // Overview: verdict counts, findings, the metric × variant grid and the
  // changed metrics — the answer, above the fold.
  Node overview = El(body, "section");
  Attr(overview, "id", "overview");
  VerdictCounts counts = CountVerdicts(a);
  Node verdicts = El(overview, "p");
  Attr(verdicts, "class", "verdicts");
  El(verdicts, "b", fmt::format("{} comparisons: ", counts.total()));
  auto badge = [&](const char* cls, int n, const std::string& text) {
    Attr(El(verdicts, "span", fmt::format("{} {}", n, text)), "class", cls);
  };
  badge("regression", counts.regression, "regression");
  badge("improvement", counts.improvement, "improvement");
  badge("no-change", counts.no_change, "no-change");
  if (counts.inside_noise) {
    badge("no-change inside-noise", counts.inside_noise,
          fmt::format("of them {} significant inside the noise floor", kInsideNoiseMark));
  }
  badge("inconclusive", counts.inconclusive, "inconclusive");

  auto findings = a.findings.All();
  if (findings.empty()) {
    Attr(El(overview, "p", "No findings: no regression, unexpected build result or failed boot."), "class",
         "findings passed");
  } else {
    Node ul = El(overview, "ul");
    Attr(ul, "class", "findings");
    for (const auto& f : findings) Attr(El(ul, "li", f), "class", "regression");
  }

  std::vector<std::string> variants;  // compared variants, scenario order
  for (const auto& d : a.deltas) {
    if (std::find(variants.begin(), variants.end(), d.variant) == variants.end()) variants.push_back(d.variant);
  }
  Node flex = El(overview, "div");
  Attr(flex, "class", "overview");
  if (!a.deltas.empty()) {
    Node left = El(flex, "div");
    El(left, "h2", fmt::format("Change of the median against {} (95% CI in %; colour = verdict)", a.baseline));
    Node grid = El(left, "table");
    Attr(grid, "class", "grid");
    Node tr = El(grid, "tr");
    Attr(El(tr, "th", "metric"), "class", "metric");
    for (const auto& v : variants) Attr(El(tr, "th", v), "class", "num");
    std::vector<std::pair<std::string, std::map<std::string, const MetricDelta*>>> rows;
    std::map<std::string, size_t> row_of;
    for (const auto& d : a.deltas) {
      std::string name = (many_cells ? CellName(d.key) + " " : "") + MetricName(d.key);
      auto [it, inserted] = row_of.try_emplace(name, rows.size());
      if (inserted) rows.push_back({name, {}});
      rows[it->second].second[d.variant] = &d;
    }
    for (const auto& [name, by_variant] : rows) {
      Node r = El(grid, "tr");
      Attr(El(r, "td", name), "class", "metric");
      for (const auto& v : variants) {
        auto it = by_variant.find(v);
        if (it == by_variant.end()) {
          El(r, "td");
          continue;
        }
        const MetricDelta& d = *it->second;
        std::string text = PercentChange(d.stats.ratio);
        if (SignificantInsideNoise(d.stats, a.thresholds)) text += " " + std::string(kInsideNoiseMark);
        Node td = Attr(El(r, "td"), "class", "num " + VerdictClass(d, a.thresholds));
        Attr(El(td, "b", text), "class", "change");
        if (d.stats.ci) {
          auto pct = [](double ratio) {
            double change = (ratio - 1) * 100;
            return std::fabs(change) < 0.005 ? std::string("0.00") : fmt::format("{:+.2f}", change);
          };
          Attr(El(td, "small", fmt::format(" [{}, {}]", pct(d.stats.ci->lo), pct(d.stats.ci->hi))), "class", "grid-ci");
        }
        Attr(td, "title", fmt::format("{}: 95% CI {}, p = {}; {}", VerdictName(d.stats.verdict), CiPercent(d.stats),
                                      d.stats.test ? fmt::format("{:.3g}", d.stats.test->p_value) : "–",
                                      d.stats.reason));
      }
    }
  }

  auto changed = ChangedDeltas(a);
  Node right = El(flex, "div");
  El(right, "h2", fmt::format("Changed, largest effect first ({} = significant inside the ±{:g}% noise floor)",
                              kInsideNoiseMark, a.thresholds.noise * 100));
  if (changed.empty()) {
    El(right, "p", a.deltas.empty() ? "No metric has samples on both sides." : "No metric changed significantly.");
  } else {
    const bool with_setup = AnySetupDifference(changed);
    std::vector<std::string> columns{"variant", "metric", "median before → after", "change", "95% CI", "MAD b / v",
                                     "p", "n", "verdict"};
    if (with_setup) columns.push_back("setup");
    Node t = TableNode(right, "changed", columns);
    for (const MetricDelta* d : changed) {
      Node tr = El(t, "tr");
      El(tr, "td", d->variant);
      El(tr, "td", (many_cells ? CellName(d->key) + " " : "") + MetricName(d->key));
      Num(tr, FormatValue(d->stats.baseline.median, d->key.unit) + " → " +
                  FormatValue(d->stats.variant.median, d->key.unit));
      Num(tr, PercentChange(d->stats.ratio), VerdictClass(*d, a.thresholds));
      Num(tr, CiPercent(d->stats));
      Num(tr, SpreadPercent(d->stats.baseline) + " / " + SpreadPercent(d->stats.variant));
      Num(tr, d->stats.test ? fmt::format("{:.2g}", d->stats.test->p_value) : "–");
      Num(tr, fmt::format("{}/{}", d->stats.baseline.n, d->stats.variant.n));
      Attr(El(tr, "td", VerdictText(*d, a.thresholds)), "class", VerdictClass(*d, a.thresholds));
      if (with_setup) El(tr, "td", SetupText(*d));
    }
  }
  if (!a.pairs.empty()) {
    // Rust against C in the same boots, with what each side set up.
    El(right, "h2", fmt::format("Rust against C in the same boots ({} → {}), never a finding",
                                a.pairs.front().baseline_label, a.pairs.front().variant_label));
    Node t = TableNode(right, "pairs", {"variant", "metric", "median C → Rust", "change", "95% CI", "verdict", "setup"});
    for (const auto& d : a.pairs) {
      Node tr = El(t, "tr");
      El(tr, "td", d.variant);
      El(tr, "td", (many_cells ? CellName(d.key) + " " : "") + MetricName(d.key));
      Num(tr, FormatValue(d.stats.baseline.median, d.key.unit) + " → " + FormatValue(d.stats.variant.median, d.key.unit));
      Num(tr, PercentChange(d.stats.ratio), VerdictClass(d, a.thresholds));
      Num(tr, CiPercent(d.stats));
      Attr(El(tr, "td", VerdictText(d, a.thresholds)), "class", VerdictClass(d, a.thresholds));
      El(tr, "td", SetupText(d));
    }
  }

  // What each variant is: flags, Kconfig, toolchain with the exact rustc.
  if (!a.runs.empty()) {
    const RunSummary& run = a.runs.back();
    Attr(El(body, "h2", "Variants"), "id", "variants");
    Node t = TableNode(body, "variants", {"variant", "expect", "rustflags", "Kconfig", "toolchain", "outcome"});
    Node cols = t.prepend_child("colgroup");
    for (const char* w : {"14%", "8%", "18%", "26%", "22%", "12%"}) Attr(El(cols, "col"), "style", std::string("width: ") + w);
    for (const auto& v : run.info.variants) {
      Node tr = El(t, "tr");
      El(tr, "td", v.name + (v.name == run.info.baseline ? " (baseline)" : ""));
      El(tr, "td", ExpectName(v.expect));
      El(El(tr, "td"), "code", v.rustflags.empty() ? "—" : Join(v.rustflags, " "));
      std::vector<std::string> kconfig;
      for (const auto& [k, val] : v.kconfig) kconfig.push_back(fmt::format("CONFIG_{}={}", k, val));
      El(El(tr, "td"), "code", kconfig.empty() ? "—" : Join(kconfig, " "));
      std::set<std::string> toolchains;
      for (const auto& b : a.builds) {
        if (std::find(b.variants.begin(), b.variants.end(), v.name) == b.variants.end()) continue;
        // The exact versions come from a successful build of the toolchain.
        std::string rustc = b.rustc_version;
        for (const auto& other : a.builds) {
          if (rustc.empty() && other.toolchain == b.toolchain) rustc = other.rustc_version;
        }
        toolchains.insert(b.toolchain + (rustc.empty() ? "" : ": " + rustc));
      }
      El(tr, "td", Join({toolchains.begin(), toolchains.end()}, "; "));
      std::vector<std::string> outcomes;
      for (const auto& c : a.outcomes) {
        if (c.variant != v.name || c.run_id != run.id) continue;
        std::string text = c.Status();
        if (c.boots) text += fmt::format(" {}/{}", c.passed, c.boots);
        if (many_cells) text = fmt::format("{}/{}/{}: ", c.arch, c.toolchain, c.kernel) + text;
        outcomes.push_back(text);
      }
      Node td = El(tr, "td", Join(outcomes, "; "));
      for (const auto& c : a.outcomes) {
        if (c.variant == v.name && c.run_id == run.id) Attr(td, "class", c.Status());
      }
    }
    // Toolchains: the exact versions (rustc -vV, clang, bindgen) the builds recorded.
    std::map<std::string, const BuildRecord*> toolchain_builds;
    for (const auto& b : a.builds) {
      if (!b.rustc_version.empty()) toolchain_builds.try_emplace(b.toolchain, &b);
    }
    if (!toolchain_builds.empty()) {
      Node tt = TableNode(body, "toolchains", {"toolchain", "rustc", "clang", "bindgen"});
      for (const auto& [name, b] : toolchain_builds) {
        Node tr = El(tt, "tr");
        El(tr, "td", name);
        El(tr, "td", b->rustc_version);
        El(tr, "td", b->clang_version);
        El(tr, "td", b->bindgen_version);
      }
    }
  }

  // Failures with the lines that prove them, visible.
  std::vector<const BuildRecord*> failed_builds;
  for (const auto& b : a.builds) {
    if (!BuildSucceeded(b.outcome)) failed_builds.push_back(&b);
  }
  std::vector<const BootRecord*> failed_boots;
  for (const auto& b : a.boots) {
    if (b.outcome != BootOutcome::kPassed && b.outcome != BootOutcome::kBuildFailed) failed_boots.push_back(&b);
  }
  if (!failed_builds.empty()) {
    Attr(El(body, "h2", "Build failures"), "id", "build-failures");
    Node t = TableNode(body, "failures build-failures", {"variants", "cell", "outcome", "error lines"});
    Node cols = t.prepend_child("colgroup");
    for (const char* w : {"12%", "14%", "10%", "64%"}) Attr(El(cols, "col"), "style", std::string("width: ") + w);
    for (const BuildRecord* b : failed_builds) {
      Node tr = El(t, "tr");
      El(tr, "td", Join(b->variants, ", "));
      El(tr, "td", fmt::format("{}/{}/{}", b->arch, b->toolchain, b->kernel));
      Attr(El(tr, "td", fmt::format("{}{}", BuildOutcomeName(b->outcome),
                                    b->failure_class.empty() ? "" : " (" + b->failure_class + ")")),
           "class", b->outcome == BuildOutcome::kExpectedFailure ? "expected-failure" : "build-failed");
      El(El(tr, "td"), "pre", b->failure_excerpt.empty() ? "(no excerpt recorded)" : b->failure_excerpt);
    }
  }
  if (!failed_boots.empty()) {
    Attr(El(body, "h2", "Failed boots"), "id", "failed-boots");
    Node t = TableNode(body, "failures boot-failures",
                       {"variant", "cell", "rep / attempt", "outcome", "kernel report", "console excerpt"});
    Node cols = t.prepend_child("colgroup");
    for (const char* w : {"9%", "12%", "7%", "9%", "18%", "45%"}) {
      Attr(El(cols, "col"), "style", std::string("width: ") + w);
    }
    for (const BootRecord* b : failed_boots) {
      Node tr = El(t, "tr");
      El(tr, "td", b->variant);
      El(tr, "td", fmt::format("{}/{}/{}", b->arch, b->toolchain, b->kernel));
      El(tr, "td", fmt::format("{} / {}", b->repetition, b->attempt));
      Attr(El(tr, "td", BootOutcomeName(b->outcome)), "class", "failed");
      if (b->title.empty()) {
        Attr(El(tr, "td", "(no kernel report)"), "class", "no-title");
      } else {
        Attr(El(tr, "td", b->title), "class", "title");
      }
      Node td = El(tr, "td");
      El(td, "pre", b->evidence.empty() ? "(no evidence recorded)" : b->evidence);
      if (!b->console_path.empty()) El(td, "div", "console: " + b->console_path);
    }
  }

  Attr(El(body, "h2", "Outcomes"), "id", "outcomes");
  std::vector<std::string> all_variants;
  for (const auto& c : a.outcomes) {
    if (std::find(all_variants.begin(), all_variants.end(), c.variant) == all_variants.end()) {
      all_variants.push_back(c.variant);
    }
  }
  std::map<std::tuple<int64_t, std::string, std::string, std::string>, std::map<std::string, const OutcomeCell*>>
      rows;
  for (const auto& c : a.outcomes) rows[{c.run_id, c.arch, c.toolchain, c.kernel}][c.variant] = &c;
  Node matrix = El(body, "table");
  Attr(matrix, "class", "outcomes");
  Node mh = El(matrix, "tr");
  for (const char* h : {"run", "arch", "toolchain", "kernel"}) El(mh, "th", h);
  for (const auto& v : all_variants) El(mh, "th", v);
  for (const auto& [key, by_variant] : rows) {
    Node tr = El(matrix, "tr");
    El(tr, "td", std::to_string(std::get<0>(key)));
    El(tr, "td", std::get<1>(key));
    El(tr, "td", std::get<2>(key));
    El(tr, "td", std::get<3>(key));
    for (const auto& v : all_variants) {
      Node td = El(tr, "td");
      auto it = by_variant.find(v);
      if (it == by_variant.end()) continue;
      const OutcomeCell& c = *it->second;
      Attr(td, "class", c.Status());
      std::string text = c.Status();
      if (c.boots) text += fmt::format(" {}/{}", c.passed, c.boots);
      if (c.retried) text += fmt::format(" ({} retried)", c.retried);
      td.text().set(text.c_str());
    }
  }

  // Several compilers or kernels: the truth table, kernels × compilers.
  for (const auto& g : MatrixGrids(a.outcomes, a.runs.empty() ? 0 : a.runs.back().id)) {
    Attr(El(body, "h3", fmt::format("Compiler × kernel: {} {}", g.arch, g.variant)), "class", "grid-title");
    Node grid = El(body, "table");
    Attr(grid, "class", "outcomes grid");
    Node gh = El(grid, "tr");
    El(gh, "th", "kernel");
    for (const auto& t : g.toolchains) {
      Node th = El(gh, "th", t);
      if (g.rustc.count(t)) Attr(th, "title", g.rustc.at(t));
    }
    for (const auto& k : g.kernels) {
      Node tr = El(grid, "tr");
      El(tr, "th", g.KernelName(k));
      for (const auto& t : g.toolchains) {
        Node td = El(tr, "td");
        const OutcomeCell* c = g.At(k, t);
        if (!c) continue;
        Attr(td, "class", c->Status());
        td.text().set(GridCellText(*c).c_str());
      }
    }
  }

  if (!a.kunit.empty()) {
    // KUnit: every case that did not pass, by name, and what changed.
    Attr(El(body, "h2", "KUnit test cases"), "id", "kunit");
    Node t = TableNode(body, "kunit", {"variant", "cell", "cases", "pass", "fail", "crashed", "skip", "todo"});
    for (const auto& c : a.kunit) {
      Node tr = El(t, "tr");
      El(tr, "td", c.variant);
      El(tr, "td", fmt::format("{}/{}/{}", c.arch, c.toolchain, c.kernel));
      Num(tr, std::to_string(c.total()));
      for (const char* s : {"pass", "fail", "crashed", "skip", "todo"}) {
        auto it = c.cases_by_worst.find(s);
        int n = it == c.cases_by_worst.end() ? 0 : it->second;
        Num(tr, std::to_string(n), n > 0 && (std::string_view(s) == "fail" || std::string_view(s) == "crashed")
                                       ? "regression"
                                       : "");
      }
    }
    Node lt = TableNode(body, "kunit-cases", {"variant", "status", "case", "boots", "reason / KTAP lines"});
    for (const auto& c : a.kunit) {
      for (const auto& k : c.cases) {
        if (k.Worst() == "pass") continue;
        Node tr = El(lt, "tr");
        El(tr, "td", c.variant);
        El(tr, "td", k.Worst());
        El(El(tr, "td"), "code", k.suite + "/" + k.name);
        El(tr, "td", k.Text());
        El(El(tr, "td"), "pre", k.diagnostics.empty() ? k.reason : k.diagnostics);
      }
    }
    if (!a.case_changes.empty()) {
      Node ul = El(body, "ul");
      Attr(ul, "class", "kunit-changes");
      for (const auto& c : a.case_changes) {
        Node li = El(ul, "li", c.Text());
        if (c.regression) Attr(li, "class", "regression");
      }
    }
  }

  Attr(El(body, "h2", "Metrics"), "id", "metrics");
  if (a.deltas.empty()) El(body, "p", "No metric has samples on both sides.");
  for (const MetricDelta* d : changed) Card(body, *d, a, many_cells);
  auto others = OtherDeltas(a);
  if (!others.empty()) {
    Node details = El(body, "details");
    Attr(details, "class", "other-metrics");
    El(details, "summary", fmt::format("{} other comparisons (no-change, inconclusive)", others.size()));
    for (const MetricDelta* d : others) Card(details, *d, a, many_cells);
  }

  if (std::any_of(a.builds.begin(), a.builds.end(), [](const BuildRecord& b) { return !b.code_checks.empty(); })) {
    Attr(El(body, "h2", "Code checks"), "id", "code-checks");
    El(body, "p",
       "Does each rustc flag leave its signature in the build's Rust objects? A claimed flag is among the build's "
       "effective flags; a control is another variant's flag, which should be absent here.");
    Node t = TableNode(body, "code-checks",
                       {"variants", "cell", "flag", "role", "verdict", "with signature", "judged", "exempt", "offenders"});
    for (const auto& b : a.builds) {
      for (const auto& c : b.code_checks) {
        bool problem = CodeCheckProblem(c).has_value();
        Node tr = El(t, "tr");
        El(tr, "td", Join(b.variants, ", "));
        El(tr, "td", fmt::format("{}/{}/{}", b.arch, b.toolchain, b.kernel));
        El(El(tr, "td"), "code", c.flag);
        El(tr, "td", c.claimed ? "claimed" : "control");
        Node v = El(tr, "td", c.verdict + (c.expected.empty() ? "" : " (expected " + c.expected + ")"));
        if (problem) Attr(v, "class", "build-failed");
        else if (c.claimed && c.verdict == "effective") Attr(v, "class", "built");
        Num(tr, std::to_string(c.with_signature));
        Num(tr, std::to_string(c.checked));
        Num(tr, std::to_string(c.exempt));
        Node off = El(tr, "td");
        if (!c.offenders.empty()) {
          El(off, "pre", fmt::format("{} in all\n{}", c.offenders_total, Join(c.offenders, "\n")));
        }
        for (const auto& n : c.notes) El(off, "p", n);
      }
    }
  }
  if (auto readiness = Readiness(a); !readiness.empty()) {
    Attr(El(body, "h2", "Flag readiness"), "id", "readiness");
    El(body, "p",
       "Per rustc flag, arch, compiler, kernel and the variant that carries it: did it build and boot, does the flag "
       "leave its signature in the Rust code (and not in the baseline's), does rustc refuse to mix crates that "
       "disagree on it, and what it costs against the baseline.");
    Node t = TableNode(body, "readiness", {"flag", "arch", "rustc", "kernel", "variant", "via", "build", "boots",
                                           "code (baseline)", "ABI", "cost", "size"});
    for (const auto& r : readiness) {
      Node tr = El(t, "tr");
      Attr(El(El(tr, "td"), "code", r.flag), "class", r.ok ? "built" : "build-failed");
      for (const std::string* v : {&r.arch, &r.rustc, &r.kernel, &r.variant, &r.via, &r.build, &r.boots, &r.code,
                                   &r.abi, &r.cost, &r.size}) {
        El(tr, "td", *v);
      }
    }
  }
  if (!a.abi_checks.empty()) {
    Attr(El(body, "h2", "ABI checks"), "id", "abi-checks");
    El(body, "p",
       "Does rustc refuse to mix crates built with and without an ABI-changing flag (a target modifier), in both "
       "directions and through rustdoc --test, and does -Cunsafe-allow-abi-mismatch let the mix through?");
    Node t = TableNode(body, "abi-checks",
                       {"flag", "arch", "toolchain", "rustc", "target modifier", "crate with flag, core without",
                        "crate without, core with flag", "escape hatch", "rustdoc mixed", "rustdoc matched",
                        "seconds"});
    for (const auto& c : a.abi_checks) {
      auto problem = AbiCheckProblem(c);
      Node tr = El(t, "tr");
      El(El(tr, "td"), "code", c.flag);
      El(tr, "td", c.arch);
      El(tr, "td", c.toolchain);
      El(tr, "td", c.rustc);
      El(tr, "td", c.known_target_modifier ? "yes" : "no");
      // Each case with what an enforced target modifier gives.
      const std::pair<const std::string*, std::string_view> cases[] = {
          {&c.crate_with_flag, "rejected"}, {&c.core_with_flag, "rejected"}, {&c.escape_hatch, "works"},
          {&c.rustdoc_mismatch, "rejected"}, {&c.rustdoc_matched, "accepted"}};
      for (const auto& [v, enforced] : cases) {
        Node td = El(tr, "td", *v);
        if (!c.known_target_modifier) continue;
        if (*v == enforced) Attr(td, "class", "built");
        else if (problem && (*v == "accepted" || *v == "rejected" || *v == "fails")) Attr(td, "class", "build-failed");
      }
      Num(tr, fmt::format("{:.1f}", c.seconds));
    }
  }
  if (!a.code_check_changes.empty()) {
    El(body, "p", fmt::format("Code checks that changed against {} (verdict, functions with the signature / judged):",
                              a.baseline));
    Node ul = El(body, "ul");
    Attr(ul, "class", "code-check-changes");
    for (const auto& c : a.code_check_changes) El(ul, "li", c.Text());
  }

  Attr(El(body, "h2", "Code size"), "id", "code-size");
  if (a.sizes.empty()) {
    El(body, "p", "No size data (no successful build pair).");
  } else {
    Node t = TableNode(body, "sizes", {"cell", "variant", "object", "section", "baseline", "variant", "delta", "%"});
    for (const auto& z : a.sizes) {
      Node tr = El(t, "tr");
      El(tr, "td", fmt::format("{}/{}/{}", z.arch, z.toolchain, z.kernel));
      El(tr, "td", z.variant);
      El(tr, "td", z.object);
      El(tr, "td", z.section);
      Num(tr, std::to_string(z.baseline_bytes));
      Num(tr, std::to_string(z.variant_bytes));
      Num(tr, fmt::format("{:+d}", z.delta()), z.delta() > 0 ? "regression" : "");
      Num(tr, z.baseline_bytes ? fmt::format("{:+.3f}", 100.0 * static_cast<double>(z.delta()) /
                                                            static_cast<double>(z.baseline_bytes))
                               : "–");
    }
  }

  Attr(El(body, "h2", "Builds"), "id", "builds");
  Node bt = TableNode(body, "builds", {"key", "variants", "cell", "outcome", "rustc", "duration", "effective rustflags"});
  Node cols = bt.prepend_child("colgroup");
  for (const char* w : {"10%", "10%", "12%", "8%", "18%", "7%", "35%"}) Attr(El(cols, "col"), "style", std::string("width: ") + w);
  for (const auto& b : a.builds) {
    Node tr = El(bt, "tr");
    El(El(tr, "td"), "code", b.key);
    El(tr, "td", Join(b.variants, ", "));
    El(tr, "td", fmt::format("{}/{}/{}", b.arch, b.toolchain, b.kernel));
    Attr(El(tr, "td", BuildOutcomeName(b.outcome)), "class",
         BuildSucceeded(b.outcome) ? "built"
                                   : (b.outcome == BuildOutcome::kExpectedFailure ? "expected-failure" : "build-failed"));
    El(tr, "td", b.rustc_version.empty() ? "—" : b.rustc_version);
    Num(tr, b.outcome == BuildOutcome::kCacheHit ? "cached" : fmt::format("{:.0f} s", b.duration_seconds));
    Node flags = El(tr, "td");
    if (!b.effective_flags.empty()) El(flags, "pre", b.effective_flags);
    if (!b.failure_excerpt.empty()) El(flags, "pre", b.failure_class + "\n" + b.failure_excerpt);
  }

  std::ostringstream out;
  out << "<!DOCTYPE html>\n";
  doc.save(out, "  ", pugi::format_indent | pugi::format_no_declaration | pugi::format_no_empty_element_tags,
           pugi::encoding_utf8);
  return out.str();
}

}  // namespace rfl::report

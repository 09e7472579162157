#include "lab/scenario/diagnostics.h"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

namespace rfl::scenario {

Diagnostics::Diagnostics(std::string file, std::string text) : file_(std::move(file)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

void Diagnostics::Add(Diagnostic d) {
  if (d.severity == Diagnostic::Severity::kError) ++errors_;
  // Duplicates: the same message at the same place (aliases, repeated keys).
  // The check looks at the last few only: a hostile file repeats nearby.
  size_t from = diags_.size() > 16 ? diags_.size() - 16 : 0;
  for (size_t i = from; i < diags_.size(); ++i) {
    const Diagnostic& o = diags_[i];
    if (o.pos.line == d.pos.line && o.pos.col == d.pos.col && o.message == d.message) {
      if (d.severity == Diagnostic::Severity::kError) --errors_;
      return;
    }
  }
  if (diags_.size() >= kMaxDiagnostics) {
    ++dropped_;
    return;
  }
  diags_.push_back(std::move(d));
}

void Diagnostics::Error(SourcePos pos, int length, std::string message, std::string hint) {
  Add({Diagnostic::Severity::kError, pos, std::max(1, length), std::move(message), std::move(hint)});
}

void Diagnostics::Warning(SourcePos pos, int length, std::string message, std::string hint) {
  Add({Diagnostic::Severity::kWarning, pos, std::max(1, length), std::move(message), std::move(hint)});
}

std::string_view Diagnostics::Line(int line) const {
  if (line <= 0 || static_cast<size_t>(line) > line_starts_.size()) return {};
  size_t begin = line_starts_[static_cast<size_t>(line) - 1];
  size_t end = static_cast<size_t>(line) < line_starts_.size() ? line_starts_[static_cast<size_t>(line)] - 1
                                                              : text_.size();
  std::string_view l(text_.data() + begin, end - begin);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

std::string Diagnostics::Render() const {
  std::vector<const Diagnostic*> sorted;
  for (const auto& d : diags_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return std::tie(a->pos.line, a->pos.col) < std::tie(b->pos.line, b->pos.col);
  });
  std::string out;
  for (const auto* d : sorted) out += RenderOne(*d);
  if (dropped_ > 0) {
    out += fmt::format("{}: note: {} more diagnostic(s) not shown (at most {}); fix these first\n", file_, dropped_,
                       kMaxDiagnostics);
  }
  return out;
}

std::string Diagnostics::RenderOne(const Diagnostic& d) const {
  const char* sev = d.severity == Diagnostic::Severity::kError ? "error" : "warning";
  std::string out;
  if (d.pos.line <= 0) {
    out = fmt::format("{}: {}: {}\n", file_, sev, d.message);
  } else {
    out = fmt::format("{}:{}:{}: {}: {}\n", file_, d.pos.line, d.pos.col, sev, d.message);
    // A very long line (minified YAML) is shown around the column only.
    std::string_view full = Line(d.pos.line);
    constexpr size_t kShown = 200;
    size_t cut = full.size() > kShown && static_cast<size_t>(std::max(1, d.pos.col)) > kShown / 2
                     ? static_cast<size_t>(d.pos.col) - kShown / 2
                     : 0;
    cut = std::min(cut, full.size());
    std::string line(full.substr(cut, kShown));
    // Control bytes would reach the terminal as they are: show '?' instead
    // (one byte each, so the caret still lines up).
    for (char& c : line) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
    }
    SourcePos shown = d.pos;
    shown.col -= static_cast<int>(cut);
    std::string gutter = std::to_string(d.pos.line);
    std::string pad(gutter.size(), ' ');
    out += fmt::format(" {} | {}\n", gutter, line);
    int col = std::max(1, shown.col);
    // Underline no further than the end of the line.
    int avail = std::max(1, static_cast<int>(line.size()) - col + 1);
    int len = std::min(d.length, avail);
    // Keep tabs so the caret lines up under the source text.
    std::string lead;
    for (int i = 0; i < col - 1 && i < static_cast<int>(line.size()); ++i) lead += line[i] == '\t' ? '\t' : ' ';
    while (static_cast<int>(lead.size()) < col - 1) lead += ' ';
    out += fmt::format(" {} | {}^{}\n", pad, lead, std::string(static_cast<size_t>(len - 1), '~'));
  }
  if (!d.hint.empty()) out += fmt::format("hint: {}\n", d.hint);
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // A typo budget of about a third of the word, at least 1, at most 3.
  size_t budget = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::string best;
  size_t best_d = budget + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string SuggestHint(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = ClosestMatch(word, candidates);
  if (!best.empty()) return fmt::format("did you mean '{}'?", best);
  if (candidates.empty()) return {};
  return fmt::format("expected one of: {}", fmt::join(candidates, ", "));
}

}  // namespace rfl::scenario

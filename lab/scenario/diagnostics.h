#pragma once
// Diagnostics for user input, reported like a compiler:
//
//   quick.yaml:12:7: error: unknown workload 'bindr'
//      12 |   - bindr
//         |     ^~~~~
//   hint: did you mean 'binder'?
//
// Every problem of a file is collected, then all are printed at once — up to
// kMaxDiagnostics (a compiler's "too many errors"): a hostile file cannot
// make millions of them. Identical diagnostics (same place, same message)
// are kept once.
#include <string>
#include <vector>

namespace rfl::scenario {

struct SourcePos {
  int line = 0;  // 1-based; 0 = no position (whole file)
  int col = 0;   // 1-based
};

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  SourcePos pos;
  int length = 1;  // characters to underline
  std::string message;
  std::string hint;  // optional
};

inline constexpr size_t kMaxDiagnostics = 100;

class Diagnostics {
 public:
  Diagnostics(std::string file, std::string text);

  void Error(SourcePos pos, int length, std::string message, std::string hint = {});
  void Warning(SourcePos pos, int length, std::string message, std::string hint = {});

  bool HasErrors() const { return errors_ > 0; }
  int ErrorCount() const { return errors_; }  // all of them, kept or not
  const std::vector<Diagnostic>& all() const { return diags_; }
  const std::string& file() const { return file_; }

  // All diagnostics in file order, rendered as above, then "… N more" when
  // some were not kept. Linear in the number shown.
  std::string Render() const;

 private:
  void Add(Diagnostic d);
  std::string RenderOne(const Diagnostic& d) const;
  std::string_view Line(int line) const;  // 1-based, without its line break
  std::string file_;
  std::string text_;
  std::vector<size_t> line_starts_;  // offset of each line in text_
  std::vector<Diagnostic> diags_;
  int errors_ = 0;
  size_t dropped_ = 0;
};

// Levenshtein distance; used for "did you mean" hints.
size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate within a distance budget scaled to the word's length,
// or "" when nothing is close enough to be a plausible typo.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// "did you mean 'x'?" or "expected one of: a, b, c" when nothing is close.
std::string SuggestHint(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace rfl::scenario

#pragma once
// Diagnostics for user input, reported like a compiler:
//
//   quick.yaml:12:7: error: unknown workload 'bindr'
//      12 |   - bindr
//         |     ^~~~~
//   hint: did you mean 'binder'?
//
// Every problem of a file is collected, then all are printed at once.
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

class Diagnostics {
 public:
  Diagnostics(std::string file, std::string text) : file_(std::move(file)), text_(std::move(text)) {}

  void Error(SourcePos pos, int length, std::string message, std::string hint = {});
  void Warning(SourcePos pos, int length, std::string message, std::string hint = {});

  bool HasErrors() const;
  int ErrorCount() const;
  const std::vector<Diagnostic>& all() const { return diags_; }
  const std::string& file() const { return file_; }

  // All diagnostics in file order, rendered as above.
  std::string Render() const;

 private:
  std::string RenderOne(const Diagnostic& d) const;
  std::string file_;
  std::string text_;
  std::vector<Diagnostic> diags_;
};

// Levenshtein distance; used for "did you mean" hints.
size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate within a distance budget scaled to the word's length,
// or "" when nothing is close enough to be a plausible typo.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// "did you mean 'x'?" or "expected one of: a, b, c" when nothing is close.
std::string SuggestHint(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace rfl::scenario

// libFuzzer target: console bytes → vm::ConsoleClassifier, the streaming
// classifier `rfl-lab classify` and every boot use. Seeds:
// tests/fixtures/consoles/, tests/fixtures/fuzz/console/, tests/fixtures/agent/
// (scripts/fuzz.sh). The allowed-warning patterns are tests/fuzz/fuzz_test.cpp's
// (a backtracking bomb, one that needs a long line, one that does not
// compile, one too big for RE2). Properties: no crash or sanitizer report,
// the bounds of Classification (findings included: a long console must not
// grow them), and the same answer whether the console arrives in one piece
// or in chunks (as a serial port delivers it).
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "lab/core/outcome.h"
#include "lab/vm/classifier.h"
#include "tests/fuzz/libfuzzer/fuzz_check.h"

namespace {

const std::vector<std::string> kAllowed = {"(a+)+b$", "[a-z]+X", "(", "ab{1000}{1000}"};

// The classifier keeps kFindingsCap findings, then only one of a
// kernel-report class not yet seen (precedence) and the last allowed
// warning: a console's size must not grow the list past that.
constexpr size_t kMaxFindings = rfl::vm::kMaxFindingsBound;

rfl::vm::Classification Run(std::string_view console, bool chunked) {
  rfl::vm::ConsoleClassifier c(kAllowed);
  if (!chunked) {
    c.Feed(console);
  } else {
    // Chunk sizes from 1 byte to 8 KiB, fixed by the input's size so a
    // reproducer replays the same chunks.
    uint64_t x = console.size() * 6364136223846793005ull + 1442695040888963407ull;
    for (size_t at = 0; at < console.size();) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      size_t n = 1 + (x >> 33) % ((x >> 20) % 2 ? 8192 : 16);
      c.Feed(console.substr(at, n));
      at += n;
    }
  }
  rfl::vm::ClassifyInput signals;
  return c.Finish(signals);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view console(reinterpret_cast<const char*>(data), size);
  auto whole = Run(console, false);
  RFL_FUZZ_CHECK(whole.findings.size() <= kMaxFindings, "%zu findings", whole.findings.size());
  RFL_FUZZ_CHECK(whole.excerpt.size() <= (1u << 20), "%zu bytes of excerpt", whole.excerpt.size());
  RFL_FUZZ_CHECK(!whole.reason.empty());
  auto chunked = Run(console, true);
  RFL_FUZZ_CHECK(chunked.outcome == whole.outcome, "chunked: %s / whole: %s", chunked.reason.c_str(),
                 whole.reason.c_str());
  RFL_FUZZ_CHECK(chunked.title == whole.title, "chunked: '%s' / whole: '%s'", chunked.title.c_str(),
                 whole.title.c_str());
  RFL_FUZZ_CHECK(chunked.line == whole.line, "chunked: line %zu / whole: line %zu", chunked.line, whole.line);
  RFL_FUZZ_CHECK(chunked.findings.size() == whole.findings.size());
  RFL_FUZZ_CHECK(chunked.console_lines == whole.console_lines);
  return 0;
}

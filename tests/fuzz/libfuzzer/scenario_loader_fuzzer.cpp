// libFuzzer target: scenario text → scenario::ParseScenario (YAML, every key's
// validation, Kconfig values, rustflags, allowed-warning patterns) with the
// repository's real catalogs (images/kconfig, images/toolchains). Seeds:
// scenarios/, tests/fixtures/scenario/, tests/fixtures/fuzz/scenario/
// (scripts/fuzz.sh). Properties as tests/fuzz/fuzz_test.cpp's: no crash or
// sanitizer report, a scenario exactly when there is no error, at most
// kMaxDiagnostics diagnostics, each at a line and column >= 1 with a message.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "lab/scenario/load.h"
#include "tests/fuzz/libfuzzer/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  static const fs::path kSource = RFL_LAB_SOURCE_DIR;
  static const auto kCatalog = rfl::scenario::Catalog::FromDataDir(kSource);

  std::string text(reinterpret_cast<const char*>(data), size);
  auto loaded = rfl::scenario::ParseScenario("fuzz.yaml", text, kSource / "scenarios", kCatalog);
  const auto& d = loaded.diagnostics;
  RFL_FUZZ_CHECK(loaded.scenario.has_value() == !d.HasErrors());
  RFL_FUZZ_CHECK(d.all().size() <= rfl::scenario::kMaxDiagnostics, "%zu diagnostics", d.all().size());
  for (const auto& diag : d.all()) {
    RFL_FUZZ_CHECK(diag.pos.line >= 1 && diag.pos.col >= 1, "%s", diag.message.c_str());
    RFL_FUZZ_CHECK(!diag.message.empty());
  }
  std::string rendered = d.Render();
  RFL_FUZZ_CHECK(rendered.size() <= (4u << 20), "%zu bytes of diagnostics", rendered.size());
  return 0;
}

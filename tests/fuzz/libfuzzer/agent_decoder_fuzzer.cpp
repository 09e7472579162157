// libFuzzer target: a byte stream → agent::RecordDecoder (and ParseLine for
// each line), the host side of docs/agent-protocol.md. Seeds:
// tests/fixtures/agent/ (scripts/fuzz.sh). Each input is decoded twice: as
// it is (framing and checksum checks), and with every agent line's checksum
// recomputed, so mutated JSON reaches the JSON decoder instead of stopping at
// the CRC. Properties: no crash or sanitizer report; a record that decoded
// encodes, frames and decodes back to itself; the stream decoder accepts
// exactly the lines ParseLine accepts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "images/agent/protocol.h"
#include "tests/fuzz/libfuzzer/fuzz_check.h"

namespace {

using rfl::agent::kLinePrefix;

// The line with its checksum made right for what follows it.
std::string Reframe(std::string_view line) {
  size_t at = line.find(kLinePrefix);
  if (at == std::string_view::npos || line.size() < at + kLinePrefix.size() + 9) return std::string(line);
  std::string_view payload = line.substr(at + kLinePrefix.size() + 9);
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", rfl::agent::Crc32(payload));
  return std::string(line.substr(0, at + kLinePrefix.size())) + crc + " " + std::string(payload);
}

void Decode(std::string_view stream) {
  rfl::agent::RecordDecoder d;
  // Chunks of 1 to 4096 bytes, fixed by the stream's size.
  uint64_t x = stream.size() * 6364136223846793005ull + 1;
  for (size_t at = 0; at < stream.size();) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    size_t n = 1 + (x >> 33) % 4096;
    d.Feed(stream.substr(at, n));
    at += n;
  }
  d.Finish();
  auto records = d.Take();

  size_t accepted = 0;
  for (size_t start = 0; start < stream.size();) {
    size_t nl = stream.find('\n', start);
    std::string_view line = stream.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? stream.size() : nl + 1;
    auto r = rfl::agent::ParseLine(line);
    if (!r) continue;
    ++accepted;
    std::string json = rfl::agent::EncodeJson(*r);
    RFL_FUZZ_CHECK(!json.empty());
    auto again = rfl::agent::DecodeJson(json);
    RFL_FUZZ_CHECK(again.has_value(), "%s\nre-encoded: %s", again ? "" : again.error().c_str(), json.c_str());
    RFL_FUZZ_CHECK(*again == *r, "re-encoded: %s", json.c_str());
    std::string framed = rfl::agent::FrameLine(*r);
    RFL_FUZZ_CHECK(!framed.empty() && framed.back() == '\n');
    auto parsed = rfl::agent::ParseLine(std::string_view(framed).substr(0, framed.size() - 1));
    RFL_FUZZ_CHECK(parsed.has_value() && *parsed == *r, "framed: %s", framed.c_str());
  }
  RFL_FUZZ_CHECK(records.size() == accepted, "decoder: %zu records, ParseLine: %zu", records.size(), accepted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  Decode(stream);
  std::string reframed;
  reframed.reserve(size + 64);
  for (size_t start = 0; start < stream.size();) {
    size_t nl = stream.find('\n', start);
    reframed += Reframe(stream.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl != std::string_view::npos) reframed += '\n';
    start = nl == std::string_view::npos ? stream.size() : nl + 1;
  }
  Decode(reframed);
  return 0;
}

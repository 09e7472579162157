// rust-samples: the lines the Rust sample modules print are in the kernel log.
#include "images/agent/system.h"
#include "images/agent/workloads/workloads.h"

namespace rfl::agent {

Outcome RunRustSamples(const RustSamplesParams& p, Reporter& r) {
  auto log = ReadKmsg();
  std::string missing;
  int found = 0;
  for (const auto& want : p.expect) {
    const KmsgRecord* hit = nullptr;
    for (const auto& rec : log) {
      if (rec.message.find(want) != std::string::npos) {
        hit = &rec;
        break;
      }
    }
    if (hit) {
      ++found;
      r.AddSample("line_timestamp", Unit::kSeconds, hit->timestamp_s, {{"line", want}});
    } else {
      missing += (missing.empty() ? "" : ", ") + ("\"" + want + "\"");
    }
  }
  r.AddSample("lines_found", Unit::kCount, found);
  if (!missing.empty()) return Outcome::Failed("missing from the kernel log: " + missing);
  return Outcome::Passed(std::to_string(found) + " lines found");
}

}  // namespace rfl::agent

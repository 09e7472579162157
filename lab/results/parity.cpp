#include "lab/results/parity.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

namespace rfl::results {
namespace {

// Differ between drivers without touching what the workload measures.
constexpr std::array<std::string_view, 1> kNotOnThePath = {
    // Required alignment of user buffers for O_DIRECT (rnull 511, null_blk
    // 1): the agent's buffers are page-aligned, which meets both.
    "queue/dma_alignment",
};

}  // namespace

std::vector<AttributeDifference> CommonDifferences(const std::map<std::string, std::string>& baseline,
                                                   const std::map<std::string, std::string>& variant) {
  std::vector<AttributeDifference> out;
  for (const auto& [name, value] : baseline) {
    auto it = variant.find(name);
    if (it == variant.end() || it->second == value) continue;
    if (std::find(kNotOnThePath.begin(), kNotOnThePath.end(), name) != kNotOnThePath.end()) continue;
    out.push_back({name, value, it->second});
  }
  return out;
}

std::string DescribeDifferences(const std::vector<AttributeDifference>& diffs) {
  if (diffs.empty()) return {};
  std::string out = "setups differ in ";
  for (size_t i = 0; i < diffs.size(); ++i) {
    if (i == 4) {
      out += fmt::format(" and {} more", diffs.size() - 4);
      break;
    }
    const auto& d = diffs[i];
    out += fmt::format("{}{} ({} vs {})", i ? ", " : "", d.name, d.baseline, d.variant);
  }
  return out;
}

const AttributeSet* FindAttributes(const BootRecord& boot, const std::string& workload,
                                   const std::map<std::string, std::string>& labels) {
  for (const auto& a : boot.attributes) {
    if (a.workload == workload && a.labels == labels) return &a;
  }
  return nullptr;
}

}  // namespace rfl::results

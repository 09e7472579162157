#include "lab/scenario/select.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rfl::scenario {
namespace {

bool Has(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Every selected value names one of `have`; otherwise the error lists them.
Status AllKnown(std::string_view axis, const std::vector<std::string>& selected,
                const std::vector<std::string>& have) {
  for (const auto& v : selected) {
    if (!Has(have, v)) {
      return FailAs(Error::Kind::kInput, "--{} '{}': the scenario has no such {} (it has: {})", axis, v, axis,
                    fmt::join(have, ", "));
    }
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> SelectCorner(Scenario& s, const Selection& sel) {
  std::vector<std::string> notes;

  std::vector<std::string> variant_names;
  for (const auto& v : s.variants) variant_names.push_back(v.name);
  if (auto st = AllKnown("variant", sel.variants, variant_names); !st) return std::unexpected(st.error());
  std::vector<std::string> arch_names;
  for (Arch a : s.arches) arch_names.emplace_back(ArchName(a));
  if (auto st = AllKnown("arch", sel.arches, arch_names); !st) return std::unexpected(st.error());
  if (auto st = AllKnown("toolchain", sel.toolchains, s.toolchains); !st) return std::unexpected(st.error());
  std::vector<std::string> kernel_names;
  for (const auto& k : s.kernel.sources) {
    kernel_names.push_back(k.Label());
    kernel_names.push_back(k.spec);
  }
  for (const auto& k : sel.kernels) {
    if (!Has(kernel_names, k)) {
      std::vector<std::string> labels;
      for (const auto& src : s.kernel.sources) labels.push_back(fmt::format("{} ({})", src.Label(), src.spec));
      return FailAs(Error::Kind::kInput, "--kernel '{}': the scenario has no such kernel (it has: {})", k,
                    fmt::join(labels, ", "));
    }
  }

  if (!sel.variants.empty()) {
    if (!Has(sel.variants, s.baseline)) {
      notes.push_back(fmt::format("variant '{}' is kept: it is the baseline every comparison needs", s.baseline));
    }
    std::erase_if(s.variants, [&](const Variant& v) { return v.name != s.baseline && !Has(sel.variants, v.name); });
  }
  if (!sel.arches.empty()) {
    std::erase_if(s.arches, [&](Arch a) { return !Has(sel.arches, ArchName(a)); });
  }
  if (!sel.toolchains.empty()) {
    std::erase_if(s.toolchains, [&](const std::string& t) { return !Has(sel.toolchains, t); });
  }
  if (!sel.kernels.empty()) {
    std::erase_if(s.kernel.sources,
                  [&](const KernelSource& k) { return !Has(sel.kernels, k.Label()) && !Has(sel.kernels, k.spec); });
  }
  return notes;
}

}  // namespace rfl::scenario

#include "lab/scenario/select.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rfl::scenario {
namespace {

bool Has(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Whether `name` (from --kernel) names this source: its label or its spec.
bool NamesKernel(const KernelSource& source, std::string_view name) {
  return source.Label() == name || source.spec == name;
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

Status CheckSelection(const Scenario& s, const Selection& sel) {
  std::vector<std::string> variant_names;
  for (const auto& v : s.variants) variant_names.push_back(v.name);
  if (auto st = AllKnown("variant", sel.variants, variant_names); !st) return st;
  std::vector<std::string> arch_names;
  for (Arch a : s.arches) arch_names.emplace_back(ArchName(a));
  if (auto st = AllKnown("arch", sel.arches, arch_names); !st) return st;
  if (auto st = AllKnown("toolchain", sel.toolchains, s.toolchains); !st) return st;
  for (const auto& k : sel.kernels) {
    bool known = std::any_of(s.kernel.sources.begin(), s.kernel.sources.end(),
                             [&](const KernelSource& src) { return NamesKernel(src, k); });
    if (!known) {
      std::vector<std::string> labels;
      for (const auto& src : s.kernel.sources) labels.push_back(fmt::format("{} ({})", src.Label(), src.spec));
      return FailAs(Error::Kind::kInput, "--kernel '{}': the scenario has no such kernel (it has: {})", k,
                    fmt::join(labels, ", "));
    }
  }
  return {};
}

std::string FormatSelection(const Selection& sel) {
  std::string out;
  auto add = [&](std::string_view option, const std::vector<std::string>& values) {
    for (const auto& v : values) out += fmt::format("{}{} {}", out.empty() ? "" : " ", option, v);
  };
  add("--kernel", sel.kernels);
  add("--toolchain", sel.toolchains);
  add("--arch", sel.arches);
  add("--variant", sel.variants);
  return out;
}

bool SelectsKernel(const Selection& sel, const KernelSource& source) {
  return sel.kernels.empty() || std::any_of(sel.kernels.begin(), sel.kernels.end(),
                                            [&](const std::string& k) { return NamesKernel(source, k); });
}

bool Matches(const Selection& sel, const BuildSpec& b) {
  auto selects = [](const std::vector<std::string>& list, std::string_view v) { return list.empty() || Has(list, v); };
  bool variant_ok = sel.variants.empty() || std::any_of(b.variants.begin(), b.variants.end(),
                                                        [&](const std::string& v) { return Has(sel.variants, v); });
  return variant_ok && SelectsKernel(sel, b.source) && selects(sel.arches, ArchName(b.arch)) &&
         selects(sel.toolchains, b.toolchain);
}

Result<std::vector<std::string>> SelectCorner(Scenario& s, const Selection& sel) {
  if (auto st = CheckSelection(s, sel); !st) return std::unexpected(st.error());
  std::vector<std::string> notes;
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
    std::erase_if(s.kernel.sources, [&](const KernelSource& k) { return !SelectsKernel(sel, k); });
  }
  return notes;
}

}  // namespace rfl::scenario

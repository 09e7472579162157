#include "lab/scenario/model.h"

#include <filesystem>

namespace rfl::scenario {

std::string KernelSource::Label() const {
  switch (kind) {
    case Kind::kDebian: {
      const std::string prefix = "linux-source-";
      return value.rfind(prefix, 0) == 0 ? value.substr(prefix.size()) : value;
    }
    case Kind::kPath:
    case Kind::kTarball: return std::filesystem::path(value).filename().string();
  }
  return value;
}

const Variant* Scenario::FindVariant(std::string_view n) const {
  for (const auto& v : variants) {
    if (v.name == n) return &v;
  }
  return nullptr;
}

}  // namespace rfl::scenario

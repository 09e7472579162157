#include "lab/util/demangle.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include <llvm/Demangle/Demangle.h>

namespace rfl {
namespace {

// Legacy Rust symbols end in a hash path element: "…::h0123456789abcdef".
std::string StripLegacyHash(std::string name) {
  size_t at = name.rfind("::h");
  if (at != std::string::npos && name.size() - at == 3 + 16 &&
      std::all_of(name.begin() + static_cast<long>(at) + 3, name.end(),
                  [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    name.resize(at);
  }
  return name;
}

}  // namespace

std::string Demangle(std::string_view name) {
  std::string mangled(name);
  std::unique_ptr<char, decltype(&std::free)> out(nullptr, &std::free);
  int status = 0;
  if (mangled.starts_with("_R")) {
    out.reset(llvm::rustDemangle(mangled.c_str(), nullptr, nullptr, &status));
    if (out && status == 0) return out.get();
  } else if (mangled.starts_with("_Z")) {
    out.reset(llvm::itaniumDemangle(mangled.c_str(), nullptr, nullptr, &status));
    if (out && status == 0) return StripLegacyHash(out.get());
  }
  return mangled;
}

}  // namespace rfl

// Builds the tests' shared kernels ahead of the tests that use them:
// `test_kernels ARCH[:VARIANT]…` makes rfl::test::QuickstartVariantKernel(arch,
// variant) (the baseline when no variant is named) for each, in order,
// exactly as the tests' first call would (same spec, same cache, same keys),
// and prints each artifact's image. scripts/test.sh runs it at low
// priority beside the tiers that leave a core idle, so the cross tier finds
// its kernels built. A kernel already cached is a lookup; one being built by
// another process is waited for (the tree's lock).
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "lab/core/arch.h"
#include "tests/support/test_kernel.h"

int main(int argc, char** argv) {
  const std::string arches = fmt::format("{}", fmt::join(rfl::KnownArchNames(), ", "));
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ARCH[:VARIANT]...  (%s)\n", argv[0], arches.c_str());
    return 2;
  }
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto colon = arg.find(':');
    const std::string arch_name = arg.substr(0, colon);
    const std::string variant = colon == std::string::npos ? "baseline" : arg.substr(colon + 1);
    auto arch = rfl::ParseArch(arch_name);
    if (!arch) {
      std::fprintf(stderr, "test_kernels: unknown arch '%s' (%s)\n", arch_name.c_str(), arches.c_str());
      return 2;
    }
    auto kernel = rfl::test::QuickstartVariantKernel(*arch, variant);
    if (!kernel) {
      std::fprintf(stderr, "test_kernels: %s: %s\n", argv[i], kernel.error().message.c_str());
      ++failed;
      continue;
    }
    std::printf("%s %s\n", argv[i], kernel->image.c_str());
    std::fflush(stdout);
  }
  return failed == 0 ? 0 : 1;
}

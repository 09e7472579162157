// The quickstart kernel cross-built for arm64 (label cross): ARCH=arm64
// LLVM=1 from the x86_64 host, no cross gcc.
#include <fstream>

#include <gtest/gtest.h>

#include "lab/util/paths.h"
#include "tests/support/test_kernel.h"

namespace rfl {
namespace {

TEST(BuildArm64, QuickstartKernelBuildsWithRustAndAnArm64Image) {
  auto a = test::QuickstartKernel(scenario::Arch::kArm64);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->arch, "arm64");
  EXPECT_EQ(a->image.filename(), "Image");
  // The arm64 Image header carries the magic "ARM\x64" at offset 56.
  std::ifstream in(a->image, std::ios::binary);
  char header[64] = {};
  in.read(header, sizeof header);
  ASSERT_EQ(in.gcount(), 64);
  EXPECT_EQ(std::string(header + 56, 4), std::string("ARM\x64", 4));
  auto config = ReadFile(a->config);
  ASSERT_TRUE(config.has_value());
  for (const char* sym : {"CONFIG_ARM64=y", "CONFIG_RUST=y", "CONFIG_SERIAL_AMBA_PL011_CONSOLE=y",
                          "CONFIG_ANDROID_BINDER_IPC_RUST=y", "CONFIG_BLK_DEV_RUST_NULL=y"}) {
    EXPECT_NE(config->find(std::string("\n") + sym + "\n"), std::string::npos) << sym;
  }
  EXPECT_GT(a->rust_sizes.text, 10000u);
  EXPECT_FALSE(a->effective_rustflags_kernel.empty());
  EXPECT_TRUE(a->versions.rustc.starts_with("1.96"));
}

}  // namespace
}  // namespace rfl

// The quickstart kernel cross-built for arm64 and riscv64 (label cross):
// ARCH=arm64 / ARCH=riscv with LLVM=1 from the x86_64 host, no cross gcc.
#include <fstream>

#include <gtest/gtest.h>

#include "lab/util/paths.h"
#include "tests/support/arch_param.h"
#include "tests/support/test_kernel.h"

namespace rfl {
namespace {

struct CrossArch {
  Arch arch;
  std::string image;                 // file name under arch/<dir>/boot/
  size_t magic_offset;               // where the boot image header keeps its magic
  std::string magic;
  std::vector<std::string> symbols;  // the arch's console and the Rust drivers
};

class BuildCross : public ::testing::TestWithParam<CrossArch> {};

TEST_P(BuildCross, QuickstartKernelBuildsWithRustAndABootableImage) {
  const CrossArch& p = GetParam();
  auto a = test::QuickstartKernel(p.arch);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->arch, ArchName(p.arch));
  EXPECT_EQ(a->image.filename(), p.image);
  std::ifstream in(a->image, std::ios::binary);
  char header[64] = {};
  in.read(header, sizeof header);
  ASSERT_EQ(in.gcount(), 64);
  EXPECT_EQ(std::string(header + p.magic_offset, p.magic.size()), p.magic);
  auto config = ReadFile(a->config);
  ASSERT_TRUE(config.has_value());
  for (const auto& sym : p.symbols) {
    EXPECT_NE(config->find("\n" + sym + "\n"), std::string::npos) << sym;
  }
  for (const char* sym : {"CONFIG_RUST=y", "CONFIG_ANDROID_BINDER_IPC_RUST=y", "CONFIG_BLK_DEV_RUST_NULL=y"}) {
    EXPECT_NE(config->find(std::string("\n") + sym + "\n"), std::string::npos) << sym;
  }
  EXPECT_GT(a->rust_sizes.text, 10000u);
  EXPECT_FALSE(a->effective_rustflags_kernel.empty());
  EXPECT_TRUE(a->versions.rustc.starts_with("1.96"));
}

// The arm64 Image header keeps "ARM\x64" at offset 56; the riscv Image header
// keeps "RSC\x05" there (Documentation/arch/riscv/boot-image-header.rst).
INSTANTIATE_TEST_SUITE_P(
    Arches, BuildCross,
    ::testing::Values(CrossArch{Arch::kArm64, "Image", 56, std::string("ARM\x64", 4),
                                {"CONFIG_ARM64=y", "CONFIG_SERIAL_AMBA_PL011_CONSOLE=y"}},
                      CrossArch{Arch::kRiscv64, "Image", 56, std::string("RSC\x05", 4),
                                {"CONFIG_RISCV=y", "CONFIG_SERIAL_8250_CONSOLE=y", "CONFIG_FPU=y",
                                 "CONFIG_RISCV_ISA_FALLBACK=y"}}),
    test::ArchParamName<CrossArch>);

}  // namespace
}  // namespace rfl

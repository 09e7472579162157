// Kconfig strings never reach kbuild when make or a shell would interpret
// them (lab/scenario/kconfig_value.h), and the build refuses them before it
// runs anything, even when handed a spec the validator never saw.
#include <gtest/gtest.h>

#include <filesystem>

#include "lab/kernel/build.h"
#include "lab/scenario/kconfig_value.h"
#include "lab/util/paths.h"

namespace rfl {
namespace {
namespace fs = std::filesystem;
using scenario::UnsafeConfigLines;
using scenario::UnsafeKconfigStringReason;

TEST(KconfigValue, RefusesWhatMakeOrAShellWouldRun) {
  EXPECT_NE(UnsafeKconfigStringReason("$(shell id)").find("'$' would be expanded by make"), std::string::npos);
  EXPECT_NE(UnsafeKconfigStringReason("`id`").find("backquote"), std::string::npos);
  EXPECT_NE(UnsafeKconfigStringReason("usr/x; touch /out/pwned").find("';'"), std::string::npos);
  EXPECT_NE(UnsafeKconfigStringReason("a && b").find("'&'"), std::string::npos);
  EXPECT_NE(UnsafeKconfigStringReason("a | b").find("'|'"), std::string::npos);
  EXPECT_NE(UnsafeKconfigStringReason("x >/out/pwned").find("redirect"), std::string::npos);
  EXPECT_NE(UnsafeKconfigStringReason("a#b").find("comment"), std::string::npos);
  EXPECT_FALSE(UnsafeKconfigStringReason("a\nb").empty());
  EXPECT_FALSE(UnsafeKconfigStringReason(std::string("a\0b", 3)).empty());
  EXPECT_FALSE(UnsafeKconfigStringReason("\xd0\xb0").empty());
}

TEST(KconfigValue, AcceptsTheStringsRealConfigsHold) {
  for (std::string_view s : {"", "-lab", "console=ttyS0 root=/dev/ram0 loglevel=4", "certs/signing_key.pem",
                             "gcc-12 (Debian 12.2.0-14) 12.2.0", "landlock,lockdown,yama,integrity,bpf",
                             "usr/initramfs_data.cpio", "6.1.0-18-amd64", "+x86_64@v2 %~^"}) {
    EXPECT_EQ(UnsafeKconfigStringReason(s), "") << s;
  }
}

TEST(KconfigValue, FindsUnsafeLinesInConfigTextQuotedOrNot) {
  std::string text =
      "# comment $(shell id) is not a value\n"
      "CONFIG_RUST=y\n"
      "CONFIG_LOCALVERSION=\"-lab\"\n"
      "CONFIG_INITRAMFS_SOURCE=\"$(shell touch /out/pwned)\"\n"
      "  CONFIG_SYSTEM_TRUSTED_KEYS=$(shell id)\n"
      "CONFIG_NR_CPUS=4\n"
      "CONFIG_PHYSICAL_START=0x1000000\n"
      "# CONFIG_X is not set\n";
  auto lines = UnsafeConfigLines(text);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].line, 4);
  EXPECT_EQ(lines[0].col, 25);
  EXPECT_EQ(lines[0].symbol, "INITRAMFS_SOURCE");
  EXPECT_EQ(lines[1].line, 5);
  EXPECT_EQ(lines[1].col, 30);
  EXPECT_EQ(lines[1].symbol, "SYSTEM_TRUSTED_KEYS");
}

TEST(KconfigValue, ShippedFragmentsAreSafe) {
  for (const auto& e : fs::directory_iterator(fs::path(RFL_LAB_SOURCE_DIR) / "images" / "kconfig")) {
    auto text = ReadFile(e.path());
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(UnsafeConfigLines(*text).empty()) << e.path();
  }
}

// A runner that fails the test if the build runs anything at all.
class NothingMayRun final : public ProcessRunner {
 public:
  Result<ProcessResult> Run(const Command& cmd) override {
    ADD_FAILURE() << "the build ran " << (cmd.argv.empty() ? "" : cmd.argv[0]);
    return FailAs(Error::Kind::kInternal, "not allowed in this test");
  }
};

scenario::BuildSpec SpecFor(std::map<std::string, std::string> kconfig, std::vector<fs::path> fragments) {
  scenario::BuildSpec spec;
  spec.key = "0123456789abcdef";
  spec.tree_key = "fedcba9876543210";
  spec.toolchain = "host";
  spec.config = "tinyconfig";
  spec.fragments = std::move(fragments);
  spec.kconfig = std::move(kconfig);
  spec.variants = {"hostile"};
  return spec;
}

TEST(KconfigValue, BuildRefusesAnUnsafeVariantValueBeforeRunningAnything) {
  NothingMayRun runner;
  fs::path cache = fs::temp_directory_path() / "rfl-lab-unit-kconfig-cache";
  kernel::BuildContext ctx{.cache_dir = cache, .data_dir = RFL_LAB_SOURCE_DIR, .runner = &runner};
  auto r = kernel::BuildKernel(SpecFor({{"LOCALVERSION", "\"$(shell touch /out/pwned)\""}}, {}), ctx);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, Error::Kind::kInput);
  EXPECT_NE(r.error().message.find("CONFIG_LOCALVERSION: '$' would be expanded by make"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE(fs::exists(cache));
}

TEST(KconfigValue, BuildRefusesAnUnsafeFragmentBeforeRunningAnything) {
  NothingMayRun runner;
  fs::path cache = fs::temp_directory_path() / "rfl-lab-unit-kconfig-cache";
  kernel::BuildContext ctx{.cache_dir = cache, .data_dir = RFL_LAB_SOURCE_DIR, .runner = &runner};
  fs::path fragment = fs::path(RFL_LAB_FIXTURES_DIR) / "scenario" / "unsafe-kconfig-fragment.config";
  auto r = kernel::BuildKernel(SpecFor({}, {fragment}), ctx);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, Error::Kind::kInput);
  EXPECT_NE(r.error().message.find("unsafe-kconfig-fragment.config:4:25: CONFIG_INITRAMFS_SOURCE"),
            std::string::npos)
      << r.error().message;
  EXPECT_FALSE(fs::exists(cache));
}

}  // namespace
}  // namespace rfl

// Reading the member names of kbuild's thin archives (lab/kernel/thin_archive.h)
// on one captured from a real tree.
#include <gtest/gtest.h>

#include <filesystem>

#include "lab/kernel/thin_archive.h"
#include "lab/util/paths.h"

namespace rfl::kernel {
namespace {

const std::filesystem::path kFixture = std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "kernel" / "samples-rust-built-in.a";

TEST(ThinArchive, ListsTheObjectsKbuildArchivedByTheirLongNames) {
  auto members = ThinArchiveMembers(kFixture);
  ASSERT_TRUE(members.has_value()) << members.error().message;
  EXPECT_EQ(*members, (std::vector<std::string>{"rust_minimal.o", "rust_print_main.o", "rust_print_events.o"}));
}

TEST(ThinArchive, ATruncatedOrOrdinaryArchiveIsBadInput) {
  auto bytes = ReadFile(kFixture);
  ASSERT_TRUE(bytes.has_value());
  auto cut = ParseThinArchive(std::string_view(*bytes).substr(0, bytes->size() - 20));
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().kind, Error::Kind::kInput);
  auto plain = ParseThinArchive("!<arch>\n");
  ASSERT_FALSE(plain.has_value());
  EXPECT_NE(plain.error().message.find("not a thin archive"), std::string::npos);
  auto bad_ref = ParseThinArchive(std::string("!<thin>\n") + "/99             0           0     0     644     10        `\n");
  ASSERT_FALSE(bad_ref.has_value());
  EXPECT_NE(bad_ref.error().message.find("long-name"), std::string::npos) << bad_ref.error().message;
}

}  // namespace
}  // namespace rfl::kernel

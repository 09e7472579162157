// Symbolization of sampled kernel addresses with a System.map
// (lab/profile/system_map.h), against an excerpt of a real one.
#include "lab/profile/system_map.h"

#include <gtest/gtest.h>

#include "lab/util/paths.h"

namespace rfl::profile {
namespace {

const std::filesystem::path kExcerpt =
    std::filesystem::path(RFL_LAB_FIXTURES_DIR) / "profile" / "System.map.rust-binder-excerpt";

SystemMap Excerpt() {
  auto map = SystemMap::Load(kExcerpt);
  EXPECT_TRUE(map.has_value()) << map.error().message;
  return map ? std::move(*map) : SystemMap::Parse("");
}

std::string NameAt(const SystemMap& map, uint64_t address) {
  auto r = map.Find(address);
  return r ? r->symbol->name : "<none>";
}

TEST(SystemMap, AddressInsideAFunctionResolvesToItWithTheOffset) {
  SystemMap map = Excerpt();
  auto r = map.Find(0xffffffff8106b6b0 + 0x2e);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->symbol->name, "finish_task_switch");
  EXPECT_EQ(r->offset, 0x2eu);
  EXPECT_EQ(NameAt(map, 0xffffffff81338f60), "memcpy_orig");      // its first byte
  EXPECT_EQ(NameAt(map, 0xffffffff8133906f), "memcpy_orig");      // its last byte
  EXPECT_EQ(NameAt(map, 0xffffffff81339070), "__memmove");        // the next function
  EXPECT_EQ(NameAt(map, 0xffffffff811d0fa0 + 5), "rust_helper_refcount_inc");
}

TEST(SystemMap, TextEndsAtTheFirstDataSymbol) {
  // After _etext comes __param_str_initcall_debug (d): no function there.
  SystemMap map = Excerpt();
  EXPECT_TRUE(map.Find(0xffffffff81340b68 + 0x10).has_value());  // still text (_etext)
  EXPECT_FALSE(map.Find(0xffffffff81400000).has_value());
  EXPECT_FALSE(map.Find(0xffffffff817d8d20).has_value());
}

TEST(SystemMap, AddressesOutsideTheKernelImageHaveNoSymbol) {
  SystemMap map = Excerpt();
  EXPECT_FALSE(map.Find(0x401000).has_value());              // user space
  EXPECT_FALSE(map.Find(0xffffffff80ffffff).has_value());    // below _stext
  EXPECT_FALSE(map.Find(0xffffffffc0001000).has_value());    // a module
}

TEST(SystemMap, FoldedRustFunctionsResolveToTheFirstNameAndCountTheOthers) {
  SystemMap map = Excerpt();
  auto r = map.Find(0xffffffff812a855e + 3);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->symbol->name,
            "_RNvXsH_NtCs584xV9wJEI8_11rust_binder6threadNtB5_6ThreadNtNtCsl7L7n58I0Vr_6kernel4list8ListItem10view_value");
  EXPECT_EQ(r->symbol->aliases, 1);
}

TEST(SystemMap, LoadingAMissingFileNamesIt) {
  auto map = SystemMap::Load("/nonexistent/System.map");
  ASSERT_FALSE(map.has_value());
  EXPECT_NE(map.error().message.find("/nonexistent/System.map"), std::string::npos) << map.error().message;
}

TEST(SystemMap, AFileWithoutTextSymbolsIsNotASystemMap) {
  auto dir = std::filesystem::temp_directory_path() / "rfl-profile-test-map";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic(dir / "System.map", "ffffffff81400000 d some_data\n").has_value());
  EXPECT_FALSE(SystemMap::Load(dir / "System.map").has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rfl::profile

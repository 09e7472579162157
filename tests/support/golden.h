#pragma once
// Golden text: `got` must equal the file byte for byte. With
// RFL_LAB_UPDATE_GOLDEN=1 the file is rewritten first (review the diff).
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "lab/util/paths.h"

namespace rfl::test {

inline void ExpectMatchesGolden(const std::filesystem::path& golden, const std::string& got) {
  if (std::getenv("RFL_LAB_UPDATE_GOLDEN")) {
    ASSERT_TRUE(WriteFileAtomic(golden, got).has_value()) << "cannot write " << golden;
  }
  auto want = ReadFile(golden);
  ASSERT_TRUE(want.has_value()) << "missing golden file " << golden;
  EXPECT_EQ(got, *want) << golden.filename() << " changed";
}

}  // namespace rfl::test

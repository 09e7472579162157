#pragma once
// GoogleTest parameter names for suites instantiated once per arch: a test
// reads "…/arm64", "…/riscv64". The parameter needs an `arch` member.
#include <string>

#include <gtest/gtest.h>

#include "lab/scenario/model.h"

namespace rfl::test {

template <typename P>
std::string ArchParamName(const ::testing::TestParamInfo<P>& info) {
  return std::string(ArchName(info.param.arch));
}

}  // namespace rfl::test

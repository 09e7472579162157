// Build progress on a terminal when a run builds two kernels at once.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "lab/kernel/progress.h"

namespace rfl::kernel {
namespace {

TEST(BuildProgress, TwoBuildsOnOneTerminalShareOneLiveLineAndTheOtherPrintsPlainLines) {
  std::ostringstream out;
  {
    BuildProgress a(out, true, "q/ibt x86_64", std::nullopt);
    BuildProgress b(out, true, "q/c-binder x86_64", std::nullopt);
    a.Phase("make");
    std::string after_a = out.str();
    EXPECT_EQ(after_a.find('\n'), std::string::npos) << "the first build draws a live line: " << after_a;
    b.Phase("config");
    std::string after_b = out.str().substr(after_a.size());
    EXPECT_EQ(after_b.substr(0, 4), "\r\033[K");
    EXPECT_NE(after_b.find("[q/c-binder x86_64] config ("), std::string::npos) << after_b;
    EXPECT_EQ(after_b.back(), '\n') << "the second build's phase is a plain line, not a second live line";
    a.Done("built");
    size_t mark = out.str().size();
    b.Phase("make");
    std::string b_live = out.str().substr(mark);
    EXPECT_EQ(b_live.find('\n'), std::string::npos) << "the live line is free again once the first is done: "
                                                     << b_live;
    b.Done("built");
  }
  EXPECT_NE(out.str().find("[q/ibt x86_64] built in"), std::string::npos);
  EXPECT_NE(out.str().find("[q/c-binder x86_64] built in"), std::string::npos);
}

}  // namespace
}  // namespace rfl::kernel

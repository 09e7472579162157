// The x86 guest clock words (lab/vm/guest_clock.h): only where the kernel
// cannot calibrate its TSC by itself, and never over the user's own value.
#include "lab/vm/guest_clock.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rfl::vm {
namespace {

using Words = std::vector<std::string>;

TEST(GuestClock, X86UnderTcgWithRealTimeGetsAReliableTscAtTheHostsRate) {
  EXPECT_EQ(GuestClockWords(Arch::kX86_64, ResolvedAccel::kTcg, Timing::kWall, {"quiet"}, 2095983),
            (Words{"tsc=reliable", "tsc_early_khz=2095983"}));
}

TEST(GuestClock, X86UnderIcountOrOnAnUnknownHostGetsAReliableTscAndCalibratesItself) {
  EXPECT_EQ(GuestClockWords(Arch::kX86_64, ResolvedAccel::kTcg, Timing::kIcount, {}, 2095983),
            (Words{"tsc=reliable"}));
  EXPECT_EQ(GuestClockWords(Arch::kX86_64, ResolvedAccel::kTcg, Timing::kWall, {}, std::nullopt),
            (Words{"tsc=reliable"}));
}

TEST(GuestClock, KvmAndOtherArchesGetNothing) {
  EXPECT_TRUE(GuestClockWords(Arch::kX86_64, ResolvedAccel::kKvm, Timing::kWall, {}, 2095983).empty());
  EXPECT_TRUE(GuestClockWords(Arch::kArm64, ResolvedAccel::kTcg, Timing::kWall, {}, 2095983).empty());
  EXPECT_TRUE(GuestClockWords(Arch::kRiscv64, ResolvedAccel::kTcg, Timing::kIcount, {}, 2095983).empty());
}

TEST(GuestClock, TheUsersOwnTscWordsWin) {
  EXPECT_TRUE(GuestClockWords(Arch::kX86_64, ResolvedAccel::kTcg, Timing::kWall,
                              {"tsc=unstable", "tsc_early_khz=3000000"}, 2095983)
                  .empty());
  EXPECT_EQ(GuestClockWords(Arch::kX86_64, ResolvedAccel::kTcg, Timing::kWall, {"tsc_early_khz=0"}, 2095983),
            (Words{"tsc=reliable"}));
}

#if defined(__x86_64__)
// On an x86_64 host with a constant-rate TSC the measurement is a plausible
// rate, and the same on a second call (measured once per process).
TEST(GuestClock, TheHostTscRateIsMeasuredOnce) {
  auto khz = HostTscKhz();
  if (!khz) GTEST_SKIP() << "this host's TSC is not constant-rate";
  EXPECT_GT(*khz, 100'000u);
  EXPECT_LT(*khz, 100'000'000u);
  EXPECT_EQ(HostTscKhz(), khz);
}
#endif

}  // namespace
}  // namespace rfl::vm

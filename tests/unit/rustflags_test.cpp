#include <gtest/gtest.h>

#include "lab/scenario/rustflags.h"

namespace rfl::scenario {
namespace {

TEST(Rustflags, SingleFlagsWithValuesAreSafe) {
  for (const char* f : {"-Zcf-protection=branch", "-Zbranch-protection=bti,pac-ret", "-Zfixed-x18",
                        "-Zpatchable-function-entry=16,16", "-Cllvm-args=-x86-asm-syntax=intel",
                        "-Zcrate-attr=feature(x)"}) {
    // '(' is refused: make and the shell both interpret it.
    if (std::string_view(f).find('(') != std::string_view::npos) {
      EXPECT_NE(UnsafeRustflagReason(f), "") << f;
    } else {
      EXPECT_EQ(UnsafeRustflagReason(f), "") << f;
    }
  }
}

TEST(Rustflags, EverythingMakeOrAShellInterpretsIsRefused) {
  for (const char* f : {"-C$(shell id)", "-Z`id`", "-Za;b", "-Za|b", "-Za&b", "-Za b", "-Za\tb", "-Za\nb",
                        "-Za#b", "-Za'b", "-Za\"b", "-Za\\b", "-Za>b", "-Za<b", "-Za*b", "-Za?b", "-Za{b}",
                        "-Za%b", "-Za!b", "-Za~b"}) {
    EXPECT_NE(UnsafeRustflagReason(f), "") << f;
  }
}

TEST(Rustflags, AFlagMustStartWithADash) {
  EXPECT_EQ(UnsafeRustflagReason("opt-level=2"), "a flag starts with '-'");
  EXPECT_EQ(UnsafeRustflagReason(""), "it is empty");
  EXPECT_NE(UnsafeRustflagReason("-"), "");
}

TEST(Rustflags, TyposOfKnownFlagsGetASuggestion) {
  EXPECT_EQ(ClosestKnownRustflag("-Zcf-protections=branch"), "-Zcf-protection=branch");
  EXPECT_EQ(ClosestKnownRustflag("-Zfixed-x19"), "-Zfixed-x18");
  EXPECT_EQ(ClosestKnownRustflag("-Zcf-protection=full"), "");  // exact name: no hint
  EXPECT_EQ(ClosestKnownRustflag("--verbose"), "");             // not -Z/-C: not judged
}

}  // namespace
}  // namespace rfl::scenario

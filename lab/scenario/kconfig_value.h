#pragma once
// Kconfig string safety. Kconfig writes string values unquoted into
// include/config/auto.conf, which the kernel's Makefiles include and expand,
// and some pass them on to shell recipes (usr/Makefile hands
// CONFIG_INITRAMFS_SOURCE to gen_initramfs.sh). A scenario, a fragment or a
// base .config from someone else must never run code in a build, so a string
// value that make or a shell would interpret is refused wherever Kconfig text
// enters the lab: the validator (scenario values, fragment and config files)
// and the kernel build (the last check before make reads the .config).
#include <string>
#include <string_view>
#include <vector>

namespace rfl::scenario {

// Why the contents of a Kconfig string value (without its quotes) are unsafe
// to hand to kbuild, or "" when they are safe.
std::string UnsafeKconfigStringReason(std::string_view contents);

// One unsafe value in Kconfig text (a fragment or a .config file).
struct UnsafeConfigLine {
  int line = 0;        // 1-based
  int col = 0;         // 1-based column of the value
  std::string symbol;  // without CONFIG_
  std::string reason;
};

// Every `CONFIG_X=value` line of `text` whose value a Makefile or a shell
// would interpret (quoted or not; y/n/m and numbers are always safe).
std::vector<UnsafeConfigLine> UnsafeConfigLines(std::string_view text);

// "CONFIG_X (line 3): '$' would be expanded by make", one per line.
std::string DescribeUnsafeConfigLines(const std::vector<UnsafeConfigLine>& lines, std::string_view origin);

// The characters a Kconfig string value may hold, for hints.
inline constexpr std::string_view kKconfigStringHint =
    "Kconfig strings reach kbuild's Makefiles and shell recipes; '$', backquotes, quotes, backslashes, "
    "; & | < > # and control characters are refused";

}  // namespace rfl::scenario

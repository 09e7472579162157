#pragma once
// Tool versions a recipe promises, and the checks that hold a toolchain to
// them. A recipe says `versions: {rustc: "1.96.*", bindgen: "0.71.*", clang:
// "19.*"}`; provisioning pins the packages to matching archive versions
// (archive.h) and then checks what the tools in the rootfs report, and a
// cached rootfs is checked the same way before use.
#include <string>
#include <string_view>

#include "lab/util/result.h"

namespace rfl::toolchain {

struct Recipe;
struct Versions;

// The tools whose versions a recipe can state.
inline constexpr std::string_view kVersionedTools[] = {"rustc", "bindgen", "clang"};

// "1.96.0" from "1.96.0+dfsg1-1~deb13u1+b1"; "19.0" from "1:19.0-63".
std::string UpstreamVersion(std::string_view debian_version);

// dpkg's order (deb-version(7)): <0, 0, >0.
int CompareDebianVersions(std::string_view a, std::string_view b);

// "1.96.*" matches 1.96 and 1.96.<anything>; "1.96.0" only itself.
bool VersionMatches(std::string_view version, std::string_view pattern);

// A pattern a recipe may state: digits and dots, optionally ending in ".*".
bool IsVersionPattern(std::string_view pattern);

// The version number a tool reported: "1.96.0" (rustc release), "0.71.1"
// from "bindgen 0.71.1", "19.1.7" from "Debian clang version 19.1.7 (3+b1)".
// "" when the tool is unknown or reported nothing.
std::string ReportedVersion(std::string_view tool, const Versions& v);

// Every version the recipe states against what the tools report; kInternal
// naming each tool that differs.
[[nodiscard]] Status CheckVersions(const Recipe& recipe, const Versions& v);

}  // namespace rfl::toolchain

#include "lab/toolchain/versions.h"

#include <cctype>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lab/toolchain/recipe.h"
#include "lab/toolchain/toolchain.h"

namespace rfl::toolchain {

std::string UpstreamVersion(std::string_view v) {
  if (auto colon = v.find(':'); colon != std::string_view::npos) v.remove_prefix(colon + 1);
  if (auto dash = v.rfind('-'); dash != std::string_view::npos) v = v.substr(0, dash);
  if (auto cut = v.find_first_of("+~"); cut != std::string_view::npos) v = v.substr(0, cut);
  return std::string(v);
}

namespace {

// deb-version(7): '~' sorts before everything, then the end of the part,
// then letters, then everything else.
int Order(char c) {
  if (std::isdigit(static_cast<unsigned char>(c))) return 0;
  if (std::isalpha(static_cast<unsigned char>(c))) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

int CompareFragment(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i]))) ||
           (j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j])))) {
      int ac = i < a.size() ? Order(a[i]) : 0;
      int bc = j < b.size() ? Order(b[j]) : 0;
      if (ac != bc) return ac - bc;
      ++i, ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && std::isdigit(static_cast<unsigned char>(a[i])) && j < b.size() &&
           std::isdigit(static_cast<unsigned char>(b[j]))) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i, ++j;
    }
    if (i < a.size() && std::isdigit(static_cast<unsigned char>(a[i]))) return 1;
    if (j < b.size() && std::isdigit(static_cast<unsigned char>(b[j]))) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

struct Parts {
  long epoch = 0;
  std::string_view upstream, revision;
};

Parts Split(std::string_view v) {
  Parts p;
  if (auto colon = v.find(':'); colon != std::string_view::npos) {
    for (char c : v.substr(0, colon)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) break;
      p.epoch = p.epoch * 10 + (c - '0');
      if (p.epoch > 1'000'000) break;
    }
    v.remove_prefix(colon + 1);
  }
  if (auto dash = v.rfind('-'); dash != std::string_view::npos) {
    p.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  p.upstream = v;
  return p;
}

std::vector<std::string_view> Components(std::string_view v) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = v.find('.', start);
    out.push_back(v.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace

int CompareDebianVersions(std::string_view a, std::string_view b) {
  Parts pa = Split(a), pb = Split(b);
  if (pa.epoch != pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  if (int c = CompareFragment(pa.upstream, pb.upstream)) return c < 0 ? -1 : 1;
  int c = CompareFragment(pa.revision, pb.revision);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool IsVersionPattern(std::string_view pattern) {
  if (pattern.ends_with(".*")) pattern.remove_suffix(2);
  if (pattern.empty()) return false;
  for (auto part : Components(pattern)) {
    if (part.empty()) return false;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
  }
  return true;
}

bool VersionMatches(std::string_view version, std::string_view pattern) {
  if (version.empty()) return false;
  if (pattern.ends_with(".*")) {
    pattern.remove_suffix(2);
    return version == pattern || (version.starts_with(pattern) && version.size() > pattern.size() &&
                                  version[pattern.size()] == '.');
  }
  return version == pattern;
}

std::string ReportedVersion(std::string_view tool, const Versions& v) {
  auto number_after = [](std::string_view line, std::string_view marker) -> std::string {
    auto pos = line.find(marker);
    if (pos == std::string_view::npos) return "";
    auto rest = line.substr(pos + marker.size());
    size_t end = 0;
    while (end < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[end])) || rest[end] == '.')) ++end;
    return std::string(rest.substr(0, end));
  };
  if (tool == "rustc") return v.rustc;
  if (tool == "bindgen") return number_after(v.bindgen, "bindgen ");
  if (tool == "clang") return number_after(v.clang, "clang version ");
  return "";
}

Status CheckVersions(const Recipe& recipe, const Versions& v) {
  std::vector<std::string> wrong;
  for (const auto& [tool, pattern] : recipe.versions) {
    std::string got = ReportedVersion(tool, v);
    if (!VersionMatches(got, pattern)) {
      wrong.push_back(fmt::format("{} is {} where the recipe says {}", tool, got.empty() ? "missing" : got, pattern));
    }
  }
  if (wrong.empty()) return {};
  return Fail("toolchain {}: {}", recipe.name, fmt::join(wrong, "; "));
}

}  // namespace rfl::toolchain

#include "lab/profile/system_map.h"

#include <algorithm>
#include <charconv>

#include "lab/util/paths.h"

namespace rfl::profile {
namespace {

bool IsText(char type) { return type == 't' || type == 'T' || type == 'w' || type == 'W'; }

}  // namespace

std::optional<uint64_t> ParseAddress(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

SystemMap SystemMap::Parse(std::string_view text) {
  SystemMap map;
  std::vector<Symbol> all;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    size_t a = line.find(' ');
    if (a == std::string_view::npos || a + 3 > line.size() || line[a + 2] != ' ') continue;
    auto address = ParseAddress(line.substr(0, a));
    if (!address) continue;
    if (!IsText(line[a + 1])) {
      map.others_.push_back(*address);
      continue;
    }
    std::string_view name = line.substr(a + 3);
    while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.remove_suffix(1);
    if (name.empty()) continue;
    all.push_back({*address, std::string(name), 0});
  }
  std::sort(map.others_.begin(), map.others_.end());
  std::stable_sort(all.begin(), all.end(), [](const Symbol& x, const Symbol& y) { return x.address < y.address; });
  for (auto& s : all) {
    if (!map.symbols_.empty() && map.symbols_.back().address == s.address) {
      ++map.symbols_.back().aliases;
      continue;
    }
    map.symbols_.push_back(std::move(s));
  }
  return map;
}

Result<SystemMap> SystemMap::Load(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  if (!text) return Fail(text.error().Wrap("reading System.map"));
  SystemMap map = Parse(*text);
  if (map.symbols_.empty()) return Fail("{}: no text symbols (not a System.map?)", path.string());
  return map;
}

std::optional<Resolved> SystemMap::Find(uint64_t address) const {
  if (symbols_.empty() || address < symbols_.front().address) return std::nullopt;
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), address,
                             [](uint64_t a, const Symbol& s) { return a < s.address; });
  const Symbol& s = *std::prev(it);
  // A data symbol between this function and the address: the text ended.
  auto stop = std::upper_bound(others_.begin(), others_.end(), s.address);
  if (stop != others_.end() && address >= *stop) return std::nullopt;
  // Past the last symbol of all the extent is unknown: not a function.
  if (it == symbols_.end() && stop == others_.end()) return std::nullopt;
  return Resolved{&s, address - s.address};
}

}  // namespace rfl::profile

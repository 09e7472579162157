#include "lab/kernel/thin_archive.h"

#include <charconv>

#include "lab/util/paths.h"

namespace rfl::kernel {
namespace {

constexpr std::string_view kMagic = "!<thin>\n";
constexpr size_t kHeader = 60;  // name 16, date 12, uid 6, gid 6, mode 8, size 10, "`\n"

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::vector<std::string>> ParseThinArchive(std::string_view bytes) {
  if (!bytes.starts_with(kMagic)) return FailAs(Error::Kind::kInput, "not a thin archive (no !<thin> magic)");
  std::vector<std::string> members;
  std::string_view long_names;
  size_t at = kMagic.size();
  while (at < bytes.size()) {
    if (bytes[at] == '\n') {  // padding to an even offset
      ++at;
      continue;
    }
    if (bytes.size() - at < kHeader) return FailAs(Error::Kind::kInput, "truncated member header at {}", at);
    std::string_view h = bytes.substr(at, kHeader);
    if (h.substr(58, 2) != "`\n") return FailAs(Error::Kind::kInput, "bad member header at {}", at);
    std::string_view name = Trim(h.substr(0, 16));
    std::string_view size_text = Trim(h.substr(48, 10));
    uint64_t size = 0;
    if (auto [p, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size);
        ec != std::errc() || p != size_text.data() + size_text.size()) {
      return FailAs(Error::Kind::kInput, "bad member size '{}' at {}", size_text, at);
    }
    at += kHeader;
    // The symbol table ("/", "/SYM64/") and the long-name table ("//") carry
    // their data; members of a thin archive do not.
    const bool table = name == "/" || name == "/SYM64/" || name == "//";
    if (table) {
      if (size > bytes.size() - at) return FailAs(Error::Kind::kInput, "member '{}' runs past the end", name);
      if (name == "//") long_names = bytes.substr(at, size);
      at += size;
      continue;
    }
    std::string member;
    if (name.starts_with("/")) {  // "/N": offset N into the long-name table, ended by "/\n"
      uint64_t off = 0;
      std::string_view digits = name.substr(1);
      if (auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), off);
          ec != std::errc() || p != digits.data() + digits.size() || off >= long_names.size()) {
        return FailAs(Error::Kind::kInput, "bad long-name reference '{}'", name);
      }
      std::string_view rest = long_names.substr(off);
      size_t end = rest.find("/\n");
      if (end == std::string_view::npos) return FailAs(Error::Kind::kInput, "unterminated long name at {}", off);
      member = std::string(rest.substr(0, end));
    } else {
      member = std::string(name.ends_with("/") ? name.substr(0, name.size() - 1) : name);
    }
    members.push_back(std::move(member));
  }
  return members;
}

Result<std::vector<std::string>> ThinArchiveMembers(const std::filesystem::path& archive) {
  auto bytes = ReadFile(archive);
  if (!bytes) return std::unexpected(bytes.error());
  auto members = ParseThinArchive(*bytes);
  if (!members) return std::unexpected(members.error().Wrap(archive.string()));
  return members;
}

}  // namespace rfl::kernel

#include "lab/scenario/input_limits.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "lab/util/cancel.h"

namespace rfl::scenario {
namespace fs = std::filesystem;

namespace {

std::string KindOf(const struct stat& st) {
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  return "not a regular file";
}

// Length of the UTF-8 sequence at s[i], or 0 when it is not valid UTF-8.
size_t Utf8Length(std::string_view s, size_t i) {
  auto u = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = u(i);
  if (c < 0x80) return 1;
  size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((u(i + k) & 0xC0) != 0x80) return 0;
  }
  uint32_t cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (u(i + k) & 0x3F);
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

uint32_t CodePoint(std::string_view s, size_t i, size_t n) {
  auto c = static_cast<unsigned char>(s[i]);
  uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

SourcePos PosOf(const std::string& text, size_t offset) {
  SourcePos p{1, 1};
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.col = 1;
    } else {
      ++p.col;
    }
  }
  return p;
}

// Counts documents and the nodes aliases stand for, without building a tree.
class ShapeCounter final : public YAML::EventHandler {
 public:
  size_t documents = 0;
  YAML::Mark second_document;
  size_t nodes = 0;
  bool too_many = false;
  YAML::Mark where;
  // An alias inside the node its anchor names (`a: &x [*x]`): yaml-cpp builds
  // a node that contains itself, which no walk of the tree ever finishes.
  bool cycle = false;
  YAML::Mark cycle_at;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_document = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!cycle) {
      for (const auto& f : stack_) {
        if (f.anchor == anchor) {
          cycle = true;
          cycle_at = mark;
        }
      }
    }
    auto it = sizes_.find(anchor);
    Add(mark, it == sizes_.end() ? 1 : it->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    size_t size;
    YAML::Mark mark;
  };
  static size_t Sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }
  void Add(const YAML::Mark& mark, size_t n) {
    if (stack_.empty()) {
      nodes = Sat(nodes, n);
    } else {
      stack_.back().size = Sat(stack_.back().size, n);
    }
    size_t pending = nodes;
    for (const auto& f : stack_) pending = Sat(pending, f.size);
    if (pending > kMaxYamlNodes && !too_many) {
      too_many = true;
      where = mark;
    }
  }
  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor) sizes_[anchor] = 1;
    Add(mark, 1);
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) { stack_.push_back({anchor, 1, mark}); }
  void Close() {
    if (stack_.empty()) return;
    Frame f = stack_.back();
    stack_.pop_back();
    if (f.anchor) sizes_[f.anchor] = f.size;
    Add(f.mark, f.size);
  }
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, size_t> sizes_;
};

}  // namespace

std::string DescribeCodePoint(std::string_view s, size_t i) {
  size_t n = i < s.size() ? Utf8Length(s, i) : 0;
  if (n == 0) return i < s.size() ? fmt::format("byte 0x{:02X}", static_cast<unsigned char>(s[i])) : "end of text";
  uint32_t cp = CodePoint(s, i, n);
  if (cp >= 0x20 && cp < 0x7F) return fmt::format("'{}'", static_cast<char>(cp));
  if (cp < 0x20 || cp == 0x7F) return fmt::format("U+{:04X} (a control character)", cp);
  return fmt::format("U+{:04X} '{}'", cp, s.substr(i, n));
}

Result<std::string> ReadScenarioFile(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return FailAs(Error::Kind::kNotFound, "no such file");
  }
  if (!S_ISREG(st.st_mode)) {
    return FailAs(Error::Kind::kInput, "this is {}, not a scenario file", KindOf(st));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxScenarioBytes) {
    return FailAs(Error::Kind::kInput, "the file is {} bytes; a scenario is at most {} bytes", st.st_size,
                  kMaxScenarioBytes);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailAs(Error::Kind::kInput, "cannot read the file");
  std::string text(kMaxScenarioBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxScenarioBytes) {
    return FailAs(Error::Kind::kInput, "the file grew past {} bytes while being read", kMaxScenarioBytes);
  }
  return text;
}

Result<std::string> ReadScenarioFd(int fd) {
  std::string text;
  char buf[64 * 1024];
  while (true) {
    if (CancelRequested()) return FailAs(Error::Kind::kCancelled, "interrupted while reading the scenario");
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return text;
    if (n < 0) {
      if (errno == EINTR) continue;  // Ctrl-C: the flag is checked above
      return FailAs(Error::Kind::kInput, "cannot read the scenario: {}", std::strerror(errno));
    }
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxScenarioBytes) {
      return FailAs(Error::Kind::kInput, "the input is longer than {} bytes; a scenario is at most that",
                    kMaxScenarioBytes);
    }
  }
}

bool CheckScenarioText(const std::string& text, Diagnostics& d) {
  if (text.size() > kMaxScenarioBytes) {
    d.Error({1, 1}, 1, fmt::format("the scenario is {} bytes; at most {}", text.size(), kMaxScenarioBytes));
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      d.Error(PosOf(text, i), 1, "the file contains a NUL byte", "a scenario is text; NUL would cut a value short");
      return false;
    }
    size_t n = Utf8Length(text, i);
    if (n == 0) {
      d.Error(PosOf(text, i), 1,
              fmt::format("invalid UTF-8 (byte 0x{:02X})", static_cast<unsigned char>(text[i])),
              "save the scenario as UTF-8");
      return false;
    }
    i += n;
  }
  if (text.find('\r') != std::string::npos && text.find('\n') == std::string::npos) {
    d.Error({1, 1}, 1, "the file's lines end in CR only (old Mac line ends)", "convert it to LF line ends");
    ok = false;
  }
  return ok;
}

bool CheckYamlShape(const std::string& text, Diagnostics& d) {
  ShapeCounter counter;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(counter)) {
      if (counter.too_many || counter.cycle) break;
    }
  } catch (const YAML::Exception&) {
    return true;  // the real parse reports syntax errors with their place
  }
  if (counter.cycle) {
    d.Error({counter.cycle_at.line + 1, counter.cycle_at.column + 1}, 1,
            "an alias inside the node its own anchor names: the YAML would contain itself",
            "an alias can repeat a node defined before it, not the node it is part of");
    return false;
  }
  if (counter.too_many) {
    d.Error({counter.where.line + 1, counter.where.column + 1}, 1,
            fmt::format("the YAML stands for more than {} nodes once its aliases are expanded", kMaxYamlNodes),
            "a scenario is small; use fewer nested aliases");
    return false;
  }
  if (counter.documents > 1) {
    d.Error({counter.second_document.line + 1, counter.second_document.column + 1}, 1,
            "a second YAML document: a scenario is one document", "remove the '---' and what follows, or split the file");
    return false;
  }
  return true;
}

}  // namespace rfl::scenario

#include "lab/toolchain/private_apt.h"

#include <algorithm>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "lab/util/cancel.h"
#include "lab/util/paths.h"

namespace rfl::toolchain {
namespace fs = std::filesystem;

std::string AptErrorLines(const std::string& output) {
  // Errors first, then warnings, each in log order: a run of `W:` lines
  // (sources configured twice, say) must not push the `E:` line that says
  // what failed out of the cap.
  constexpr size_t kCap = 8;
  std::vector<std::string_view> errors, warnings;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string_view line(output.data() + start, end - start);
    if (line.starts_with("E:") || line.find("Err:") != std::string_view::npos ||
        line.find("Hash Sum mismatch") != std::string_view::npos ||
        line.find("File has unexpected size") != std::string_view::npos) {
      errors.push_back(line);
    } else if (line.starts_with("W:")) {
      warnings.push_back(line);
    }
    start = end + 1;
  }
  std::vector<std::string_view> picked(errors.begin(), errors.begin() + std::min(errors.size(), kCap));
  for (size_t i = 0; i < warnings.size() && picked.size() < kCap; ++i) picked.push_back(warnings[i]);
  if (!picked.empty()) return fmt::format("{}", fmt::join(picked, "\n"));
  // No apt error line: the tail says it.
  std::string_view tail(output);
  if (tail.size() > 800) tail.remove_prefix(tail.size() - 800);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r' || tail.back() == ' ')) tail.remove_suffix(1);
  return std::string(tail);
}

PrivateApt::PrivateApt(fs::path dir, std::vector<std::string> sources, std::vector<std::string> apt_options,
                       std::string mirror)
    : dir_(std::move(dir)), sources_(std::move(sources)), apt_options_(std::move(apt_options)),
      mirror_(std::move(mirror)) {}

std::vector<std::string> PrivateApt::Options() const {
  std::vector<std::string> options = {
      "-o", "Dir::Etc::SourceList=" + (dir_ / "etc" / "sources.list").string(),
      "-o", "Dir::Etc::SourceParts=" + (dir_ / "etc" / "none").string(),
      "-o", "Dir::Etc::Preferences=" + (dir_ / "etc" / "preferences").string(),
      "-o", "Dir::Etc::PreferencesParts=" + (dir_ / "etc" / "preferences.d").string(),
      "-o", "Dir::Etc::Parts=" + (dir_ / "etc" / "apt.conf.d").string(),
      "-o", "Dir::State=" + (dir_ / "state").string(),
      "-o", "Dir::State::status=" + (dir_ / "state" / "status").string(),
      "-o", "Dir::Cache=" + (dir_ / "cache").string(),
      "-o", "Acquire::Languages=none",
      "-o", "Acquire::Retries=3",
      "-o", "APT::Sandbox::User=root",
      "-o", "Debug::NoLocking=1",
  };
  for (const auto& o : apt_options_) {
    // apt.conf syntax `Key "value"` → -o Key=value
    auto space = o.find(' ');
    std::string key = o.substr(0, space);
    std::string value = space == std::string::npos ? "" : o.substr(space + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    options.insert(options.end(), {"-o", key + "=" + value});
  }
  return options;
}

Result<ProcessResult> PrivateApt::Run(ProcessRunner& runner, std::vector<std::string> args, int attempts,
                                      std::chrono::milliseconds timeout, std::string_view what,
                                      std::optional<fs::path> cwd) {
  Command c;
  c.argv = {"apt-get"};
  auto options = Options();
  c.argv.insert(c.argv.end(), options.begin(), options.end());
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.timeout = timeout;
  c.cwd = std::move(cwd);
  c.env["LC_ALL"] = "C.UTF-8";
  std::string last;
  attempts = std::max(1, attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    auto r = runner.Run(c);
    if (!r) return Fail(r.error());
    if (r->ok()) return r;
    last = fmt::format("{}: {}", r->Describe(), AptErrorLines(r->output));
    if (CancelRequested()) return FailAs(Error::Kind::kCancelled, "cancelled: {}", what);
    if (attempt < attempts) {
      spdlog::warn("{} failed (attempt {}/{}): {}", what, attempt, attempts, last);
      std::this_thread::sleep_for(std::chrono::seconds(5 * attempt));
    }
  }
  if (attempts == 1) return Fail("{} (mirror {}): {}", what, mirror_, last);
  return Fail("{} failed after {} attempts (mirror {}): {}", what, attempts, mirror_, last);
}

Status PrivateApt::Update(ProcessRunner& runner, int attempts, std::chrono::minutes timeout) {
  for (const char* d : {"state/lists/partial", "cache/archives/partial", "etc/preferences.d", "etc/apt.conf.d"}) {
    if (auto st = EnsureDir(dir_ / d); !st) return Fail(st.error());
  }
  std::string list;
  for (const auto& line : sources_) list += line + "\n";
  if (auto st = WriteFileAtomic(dir_ / "etc" / "sources.list", list); !st) return Fail(st.error());
  if (!fs::exists(dir_ / "state" / "status")) {
    if (auto st = WriteFileAtomic(dir_ / "state" / "status", ""); !st) return Fail(st.error());
  }
  auto r = Run(runner, {"-qq", "update"}, attempts, timeout, "apt-get update");
  if (!r) return Fail(r.error());
  return {};
}

Result<std::vector<fs::path>> PrivateApt::Download(const std::vector<std::string>& packages, const fs::path& dest,
                                                   ProcessRunner& runner, int attempts, std::chrono::minutes timeout) {
  if (auto st = EnsureDir(dest); !st) return Fail(st.error());
  std::vector<std::string> args{"-qq", "download"};
  args.insert(args.end(), packages.begin(), packages.end());
  auto r = Run(runner, args, attempts, timeout, fmt::format("apt-get download {}", fmt::join(packages, " ")), dest);
  if (!r) return Fail(r.error());
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dest, ec)) {
    if (e.path().extension() == ".deb") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::pair<std::string, fs::path>>> PrivateApt::PackagesIndices(ProcessRunner& runner) {
  auto r = Run(runner, {"indextargets", "--format", "$(RELEASE)\t$(FILENAME)", "Identifier: Packages"}, 1,
               std::chrono::seconds(60), "apt-get indextargets");
  if (!r) return Fail(r.error());
  std::vector<std::pair<std::string, fs::path>> out;
  size_t start = 0;
  const std::string& text = r->output;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    start = nl + 1;
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    fs::path file = line.substr(tab + 1);
    if (fs::exists(file)) out.emplace_back(line.substr(0, tab), file);  // else: apt did not fetch it (no such suite)
  }
  return out;
}

}  // namespace rfl::toolchain

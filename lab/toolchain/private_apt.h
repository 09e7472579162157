#pragma once
// A private apt: its own sources, lists, cache, preferences, apt.conf parts
// and (empty) dpkg status under one directory, never the host's. Toolchain
// recipes read the archive's indices with it (archive.h), kernel sources
// download linux-source packages with it (kernel/source.cpp).
#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "lab/util/process.h"
#include "lab/util/result.h"

namespace rfl::toolchain {

// The lines of apt or mmdebstrap output that say what went wrong, at most 8:
// errors (E:, Err:, hash and size mismatches) first, then W: warnings, each
// in log order; or its last 800 bytes when none does.
std::string AptErrorLines(const std::string& output);

class PrivateApt {
 public:
  // `sources`: sources.list lines; `apt_options`: apt.conf lines such as
  // `Acquire::Check-Valid-Until "false"`; `mirror` names the archive in errors.
  PrivateApt(std::filesystem::path dir, std::vector<std::string> sources, std::vector<std::string> apt_options,
             std::string mirror);

  // Writes sources.list and runs apt-get update, up to `attempts` times; the
  // error quotes apt's E:/Err:/W: lines.
  [[nodiscard]] Status Update(ProcessRunner& runner, int attempts, std::chrono::minutes timeout);

  // apt-get download of `packages` (name or name=version) into `dest`, up to
  // `attempts` times; returns the .deb files in `dest`, sorted.
  [[nodiscard]] Result<std::vector<std::filesystem::path>> Download(const std::vector<std::string>& packages,
                                                                    const std::filesystem::path& dest,
                                                                    ProcessRunner& runner, int attempts,
                                                                    std::chrono::minutes timeout);

  // (suite as its sources line names it, file) of each Packages index that
  // apt fetched; read them with `apt-helper cat-file` (they may be compressed).
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::filesystem::path>>> PackagesIndices(
      ProcessRunner& runner);

  // The apt-get options that make it private.
  std::vector<std::string> Options() const;

 private:
  [[nodiscard]] Result<ProcessResult> Run(ProcessRunner& runner, std::vector<std::string> args, int attempts,
                                          std::chrono::milliseconds timeout, std::string_view what,
                                          std::optional<std::filesystem::path> cwd = std::nullopt);
  std::filesystem::path dir_;
  std::vector<std::string> sources_;
  std::vector<std::string> apt_options_;
  std::string mirror_;
};

}  // namespace rfl::toolchain

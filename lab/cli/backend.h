#pragma once
// Where boots run, for `run` and `boot`: `--backend libvirt` (default: QEMU
// through libvirt on this machine) or `--backend lava` (jobs on a LAVA
// server's workers; lab/lava/). The options and the one way to open either.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lab/util/paths.h"
#include "lab/util/result.h"
#include "lab/vm/hypervisor.h"

namespace rfl::cli {

struct BackendOptions {
  std::string backend = "libvirt";
  std::optional<std::string> connect;  // libvirt URI
  std::optional<std::string> lava_url;
  std::optional<std::string> lava_token_file;
  std::string lava_device_type = "qemu";
  std::vector<std::string> lava_tags;
  std::string lava_serve = "127.0.0.1:0";
  std::optional<std::string> lava_artifact_url;
};

void AddBackendOptions(CLI::App* cmd, BackendOptions& o);

// Opens the chosen backend; Kind::kInput for a wrong combination of options.
[[nodiscard]] Result<std::unique_ptr<vm::Hypervisor>> OpenBackend(const BackendOptions& o, const LabDirs& dirs);

}  // namespace rfl::cli

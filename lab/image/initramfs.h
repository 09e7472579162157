#pragma once
// Initramfs assembly (libarchive, cpio newc + gzip). An initramfs is two
// concatenated archives, which the kernel unpacks one after the other:
//
//   base (cached per agent binary):  /init = the static agent for the arch,
//                                     /dev/console, /dev/null, empty mount
//                                     points (proc, sys, dev, tmp)
//   plan (per boot, a few hundred bytes): /plan.json
//
// so a new boot costs one small gzip member and a file copy, not a rebuild.
#include <filesystem>
#include <string>
#include <vector>

#include "images/agent/plan.h"
#include "lab/core/arch.h"
#include "lab/util/result.h"

namespace rfl::image {

// The static agent for `arch`: $RFL_LAB_AGENT_DIR/<arch>/rfl-agent, else the
// build tree's agent/<arch>/rfl-agent (target `agents`).
std::filesystem::path AgentBinary(Arch arch);

// The cached base archive for `agent` (keyed by the agent's SHA-256), built
// on first use under cache_dir/initramfs/.
[[nodiscard]] Result<std::filesystem::path> BaseArchive(const std::filesystem::path& agent,
                                                        const std::filesystem::path& cache_dir);

// The per-boot archive (gzip'd newc cpio holding /plan.json) as bytes.
[[nodiscard]] Result<std::string> PlanArchive(const agent::Plan& plan);

// Writes `out` = base archive for arch's agent + plan archive; returns `out`.
[[nodiscard]] Result<std::filesystem::path> BuildInitramfs(Arch arch, const agent::Plan& plan,
                                                           const std::filesystem::path& cache_dir,
                                                           const std::filesystem::path& out);

// Same, with an explicit agent binary (tests, custom agents).
[[nodiscard]] Result<std::filesystem::path> BuildInitramfsWithAgent(const std::filesystem::path& agent,
                                                                    const agent::Plan& plan,
                                                                    const std::filesystem::path& cache_dir,
                                                                    const std::filesystem::path& out);

}  // namespace rfl::image

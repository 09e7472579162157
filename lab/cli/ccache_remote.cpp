#include "lab/cli/ccache_remote.h"

#include "lab/kernel/kbuild.h"

namespace rfl::cli {

void AddCcacheRemoteOption(CLI::App* cmd, std::optional<std::string>& remote) {
  cmd->add_option("--ccache-remote", remote,
                  "Share C objects through this ccache remote backend, e.g. redis://HOST:6379 "
                  "(docs/scaling.md)")
      ->envname("RFL_LAB_CCACHE_REMOTE")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            auto st = kernel::ValidateCcacheRemote(v);
            return st ? std::string() : st.error().message;
          },
          "URL", "ccache remote"));
}

void ApplyCcacheRemote(const std::optional<std::string>& remote, const LabDirs& dirs, kernel::BuildContext& ctx) {
  if (!remote) return;
  ctx.ccache_remote = *remote;
  ctx.ccache_root = dirs.state / "ccache";
}

}  // namespace rfl::cli

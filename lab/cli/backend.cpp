#include "lab/cli/backend.h"

#include "lab/lava/lava_hypervisor.h"

namespace rfl::cli {

void AddBackendOptions(CLI::App* cmd, BackendOptions& o) {
  // Each also from the environment (RFL_LAB_BACKEND, RFL_LAB_LAVA_URL, …):
  // a machine or a CI job configured for LAVA once; the command line wins.
  cmd->add_option("--backend", o.backend, "libvirt | lava: boot here through libvirt, or as jobs on a LAVA server")
      ->check(CLI::IsMember({"libvirt", "lava"}))
      ->envname("RFL_LAB_BACKEND")
      ->capture_default_str();
  cmd->add_option("--connect", o.connect, "libvirt URI (default: the embedded driver under the state dir)")
      ->envname("RFL_LAB_CONNECT");
  cmd->add_option("--lava-url", o.lava_url, "LAVA server, e.g. http://lava.example:80/ (--backend lava)")
      ->envname("RFL_LAB_LAVA_URL");
  cmd->add_option("--lava-token-file", o.lava_token_file, "File holding a LAVA API token (one line)")
      ->envname("RFL_LAB_LAVA_TOKEN_FILE");
  cmd->add_option("--lava-device-type", o.lava_device_type, "LAVA device type to boot on")
      ->envname("RFL_LAB_LAVA_DEVICE_TYPE")
      ->capture_default_str();
  cmd->add_option("--lava-tag", o.lava_tags, "LAVA device tag a job needs (repeatable)");
  cmd->add_option("--lava-serve", o.lava_serve,
                  "ADDR:PORT the lab serves kernels and initramfs images on for the workers (port 0: any)")
      ->envname("RFL_LAB_LAVA_SERVE")
      ->capture_default_str();
  cmd->add_option("--lava-artifact-url", o.lava_artifact_url,
                  "URL prefix workers reach that server by (default: http://ADDR:PORT of --lava-serve)")
      ->envname("RFL_LAB_LAVA_ARTIFACT_URL");
}

Result<std::unique_ptr<vm::Hypervisor>> OpenBackend(const BackendOptions& o, const LabDirs& dirs) {
  if (o.backend == "lava") {
    if (!o.lava_url) return FailAs(Error::Kind::kInput, "--backend lava needs --lava-url (or RFL_LAB_LAVA_URL)");
    if (o.connect) return FailAs(Error::Kind::kInput, "--connect is a libvirt URI; it does not go with --backend lava");
    lava::LavaOptions lo;
    lo.url = *o.lava_url;
    lo.token_file = o.lava_token_file;
    lo.serve = o.lava_serve;
    lo.artifact_url = o.lava_artifact_url;
    lo.settings.device_type = o.lava_device_type;
    lo.settings.tags = o.lava_tags;
    auto hv = lava::OpenLava(lo);
    if (!hv) return std::unexpected(hv.error().Wrap("opening LAVA " + *o.lava_url));
    return hv;
  }
  if (o.lava_url || o.lava_token_file || !o.lava_tags.empty() || o.lava_artifact_url) {
    return FailAs(Error::Kind::kInput,
                  "--lava-* options (or RFL_LAB_LAVA_* variables) need --backend lava (or RFL_LAB_BACKEND=lava)");
  }
  std::string uri = o.connect.value_or(vm::DefaultConnectUri(dirs.state));
  auto hv = vm::OpenLibvirt(uri);
  if (!hv) return std::unexpected(hv.error().Wrap("opening libvirt " + uri));
  return hv;
}

}  // namespace rfl::cli
